import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { competitionSchema } from '../bundle/schema.js';
import { formatBytes } from './format-bytes.js';
import { formatDuration, prizeIneligibility } from './resource-usage.js';

const GiB = 1024 ** 3;

describe('prize eligibility by resource use', () => {
  it('is eligible within every limit, and names each limit passed in words', () => {
    const limits = { peakMemoryBytes: 8 * GiB, wallMs: 2 * 3600_000, gpuMs: 3600_000 };
    assert.deepEqual(prizeIneligibility({ wallMs: 60_000, peakMemoryBytes: 8 * GiB, gpuMs: 10 }, limits), []);
    assert.deepEqual(prizeIneligibility({ wallMs: 7_500_000, peakMemoryBytes: 9.5 * GiB, gpuMs: 1 }, limits), [
      'wall time 2h 5m is over the prize limit of 2h',
      'peak memory 9.5 GiB is over the prize limit of 8 GiB',
    ]);
  });

  it('does not call a run eligible on a measure nobody read', () => {
    assert.deepEqual(prizeIneligibility({ wallMs: 1000 }, { peakMemoryBytes: GiB }), ['peak memory was not measured for this run, so the prize limit of 1 GiB cannot be checked']);
    assert.equal(prizeIneligibility(undefined, { wallMs: 1 }).length, 1);
    assert.deepEqual(prizeIneligibility(undefined, undefined), []);
  });

  it('formats sizes and durations as hosts write them', () => {
    assert.equal(formatBytes(200 * 1024 ** 2), '200 MiB');
    assert.equal(formatBytes(512), '512 bytes');
    assert.equal(formatDuration(4200), '4.2s');
    assert.equal(formatDuration(3_661_000), '1h 1m 1s');
  });

  it('reads prize_limits and leaderboard_columns from competition.yaml, refusing unknown names', () => {
    const base = {
      slug: 'abc', title: 'A', data: { test_features: 't/', labels: 'l.csv', submission_format: 'f.csv' },
      scoring: { primary: { metric: 'accuracy' }, split: { column: 'usage' } }, phases: [{ name: 'p', start: '2026-01-01' }],
    };
    const ok = competitionSchema.parse({ ...base, prize_limits: { peak_memory: '8GiB', gpu_time: '1h' }, leaderboard_columns: ['peak_memory', 'gpu_time'] });
    assert.deepEqual(ok.prizeLimits, { peakMemoryBytes: 8 * GiB, gpuMs: 3600_000 });
    assert.deepEqual(ok.resourceColumns, ['peak_memory', 'gpu_time']);
    const typo = competitionSchema.safeParse({ ...base, leaderboard_columns: ['memory'] });
    assert.ok(!typo.success);
    assert.match(typo.error.issues[0]?.message ?? '', /expected one of "wall_time", "cpu_time", "peak_memory", "gpu_time", "peak_gpu_memory", got "memory"/);
    const unit = competitionSchema.safeParse({ ...base, prize_limits: { peak_memory: 8 } });
    assert.ok(!unit.success);
    assert.deepEqual(unit.error.issues[0]?.path, ['prize_limits', 'peak_memory']);
  });
});
