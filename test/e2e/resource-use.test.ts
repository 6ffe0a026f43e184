import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { testDialects } from '../../src/db/test-databases.case.js';
import { startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { call } from '../web/web-client.js';

type Usage = { wallMs: number; cpuMs?: number; peakMemoryBytes?: number; gpuMs?: number };
type Row = { entrant: { name: string }; submissionId: string; usage?: Record<string, number | null>; prizeEligible?: boolean; prizeIneligible?: string[] };

const MiB = 1024 ** 2;

for (const dialect of testDialects) {
  describe(`resource use per run: measured, shown, exported, and deciding prize eligibility (${dialect.name})`, { skip: dialect.skip }, () => {
    let h: TestHoldout;
    const t: Record<string, string> = {};
    const ids: Record<string, string> = {};
    let leanZip = '';
    before(async () => {
      h = await startHoldout({
        dialect,
        editYaml: (y) => `${y}\nleaderboard_columns: [cpu_time, peak_memory]\nprize_limits: { peak_memory: 200MiB, wall_time: 1m }\n`,
      });
      for (const name of ['lean', 'hog']) t[name] = await h.participant(name);
      t.admin = await h.admin();
      // The hog writes 300 MiB (touching every page) in a child process, then predicts like the lean one.
      const hog = await trivialSubmission({ label: 1, preamble: 'import subprocess, sys\nsubprocess.run([sys.executable, "-c", "b = b\\"\\\\x01\\" * (300 << 20)"], check=True)' });
      leanZip = await trivialSubmission();
      for (const [name, zip] of [['lean', leanZip], ['hog', hog]] as const) {
        const sent = await upload(h.url, t[name] ?? '', 'digits', zip);
        assert.equal(sent.status, 201, JSON.stringify(sent.body));
        ids[name] = String(sent.body.id);
      }
      for (const name of ['lean', 'hog']) assert.equal((await waitForFinal(h.url, t[name] ?? '', ids[name] ?? '')).status, 'scored');
    });
    after(() => h.close());

    it('records CPU time and peak memory of every process of the run, and shows them to its participant', async () => {
      const lean = (await call(h.url, 'GET', `/api/submissions/${ids.lean}`, t.lean)).body as { runMs: number; usage: Usage };
      const hog = (await call(h.url, 'GET', `/api/submissions/${ids.hog}`, t.hog)).body as { usage: Usage };
      assert.equal(lean.usage.wallMs, lean.runMs);
      assert.equal(typeof lean.usage.cpuMs, 'number', 'a number on PostgreSQL too (bigint columns)');
      assert.ok((lean.usage.peakMemoryBytes ?? 0) > 0 && (lean.usage.peakMemoryBytes ?? 0) < 200 * MiB, `lean peak ${lean.usage.peakMemoryBytes}`);
      assert.ok((hog.usage.peakMemoryBytes ?? 0) >= 300 * MiB, `hog peak ${hog.usage.peakMemoryBytes}`);
      assert.equal(hog.usage.gpuMs, undefined, 'no GPU: no GPU time, not zero');
    });

    it('traces every score to the zip, runtime, test data, bundle and scoring code it came from', async () => {
      type Provenance = { zipSha256: string; runtimeDigest: string | null; testDataDigest: string; bundleDigest: string; scorerVersion: string };
      const { provenance } = (await call(h.url, 'GET', `/api/submissions/${ids.lean}`, t.lean)).body as { provenance: Provenance };
      assert.equal(provenance.zipSha256, `sha256:${createHash('sha256').update(await readFile(leanZip)).digest('hex')}`);
      const installed = await h.ctx.competitions.bySlug('digits');
      assert.equal(provenance.bundleDigest, installed?.bundleDigest);
      assert.match(provenance.testDataDigest, /^sha256:[0-9a-f]{64}$/);
      assert.notEqual(provenance.testDataDigest, provenance.bundleDigest, 'the test data on its own');
      assert.equal(provenance.testDataDigest, installed?.config.testDataDigest);
      assert.match(provenance.scorerVersion, /^holdout@\d+\.\d+\.\d+/);
      assert.equal(provenance.runtimeDigest, null, 'the host runtime has no content digest');
    });

    it('shows the chosen resource columns on the leaderboard and marks who is eligible for prizes', async () => {
      const board = (await call(h.url, 'GET', '/api/competitions/digits/leaderboard')).body as { resourceColumns: string[]; prizeLimits: Record<string, number>; rows: Row[] };
      assert.deepEqual(board.resourceColumns, ['cpu_time', 'peak_memory']);
      assert.deepEqual(board.prizeLimits, { peakMemoryBytes: 200 * MiB, wallMs: 60_000 });
      const row = (name: string) => board.rows.find((r) => r.entrant.name === name);
      assert.deepEqual(Object.keys(row('lean')?.usage ?? {}).sort(), ['cpuMs', 'peakMemoryBytes'], 'only the chosen columns');
      assert.equal(row('lean')?.prizeEligible, true);
      assert.deepEqual(row('lean')?.prizeIneligible, []);
      assert.equal(row('hog')?.prizeEligible, false, 'over the memory limit it still ranks, but wins nothing');
      assert.match(row('hog')?.prizeIneligible?.join() ?? '', /^peak memory 3\d\d(\.\d)? MiB is over the prize limit of 200 MiB$/);

      const csv = String((await call(h.url, 'GET', '/api/competitions/digits/leaderboard.csv')).body).trim().split('\r\n');
      assert.match(csv[0] ?? '', /,submission_id,cpu_time_ms,peak_memory_bytes,prize_eligible$/);
      assert.ok(csv.some((l) => l.includes(ids.hog ?? '-') && l.endsWith(',false')), csv.join('\n'));
    });

    it('exports every run’s resource use to hosts as CSV', async () => {
      const lines = String((await call(h.url, 'GET', '/api/competitions/digits/scores.csv', t.admin)).body).trim().split('\r\n');
      const header = (lines[0] ?? '').split(',');
      assert.deepEqual(header.slice(8, 15), ['run_ms', 'cpu_ms', 'peak_memory_bytes', 'gpu_ms', 'gpu_ms_estimated', 'peak_gpu_memory_bytes', 'prize_eligible']);
      const hog = (lines.find((l) => l.startsWith(ids.hog ?? '-')) ?? '').split(',');
      assert.ok(Number(hog[header.indexOf('peak_memory_bytes')]) >= 300 * MiB);
      assert.ok(Number(hog[header.indexOf('cpu_ms')]) > 0);
      assert.equal(hog[header.indexOf('gpu_ms')], '');
      assert.equal(hog[header.indexOf('prize_eligible')], 'false');
    });
  });
}
