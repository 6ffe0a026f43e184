import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { BundleError } from '../bundle/bundle-error.js';
import type { CompetitionConfig } from '../domain/competition.js';
import { recordRuntimes } from './record-runtime.js';

describe("recordRuntimes: each phase's own runtime is recorded at install", () => {
  test('a phase on a recipe not built here is refused at install, naming the phase\'s field', async (t) => {
    const runtimesDir = await mkdtemp(path.join(tmpdir(), 'holdout-runtimes-'));
    t.after(() => rm(runtimesDir, { recursive: true, force: true }));
    const config = {
      runtime: 'host',
      phases: [
        { name: 'development', start: new Date(0), dailyQuota: 1 },
        { name: 'final', start: new Date(1), dailyQuota: 1, own: { runtime: { name: 'python-ml' } } },
      ],
    } as CompetitionConfig;
    await assert.rejects(recordRuntimes(config, { runtimesDir }), (e: unknown) =>
      e instanceof BundleError && e.issues.length === 1 && e.issues[0]?.field === 'phases[1].runtime' && /runtime "python-ml" is not built on this host/.test(e.issues[0].message));
  });

  test('phases on "host" or without a runtime of their own are stored as declared', async () => {
    const config = {
      runtime: 'host',
      phases: [
        { name: 'development', start: new Date(0), dailyQuota: 1 },
        { name: 'final', start: new Date(1), dailyQuota: 1, own: { runtime: { name: 'host' } } },
      ],
    } as CompetitionConfig;
    const recorded = await recordRuntimes(config, { runtimesDir: '/nonexistent' });
    assert.deepEqual(recorded.phases.map((p) => p.own?.runtime), [undefined, { name: 'host' }]);
    assert.equal(recorded.runtimeDigest, undefined);
  });
});
