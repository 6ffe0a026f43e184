import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { testDialects } from '../../src/db/test-databases.case.js';
import { installCompetition } from '../../src/app/install-competition.js';
import { makeStandInGpus, standInGpusSkip } from '../../src/executors/stand-in-gpus.case.js';
import { demoBundle, startHoldout, upload, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/** Short leases so that a killed worker's submission is taken over within seconds. */
const LEASE_MS = 2000;

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const dialect of testDialects) {
  describe(`holdout worker processes on ${dialect.name}`, { skip: dialect.skip }, () => {
    let h: TestHoldout;
    let token: string;
    const spawned: WorkerProcess[] = [];
    const worker = async (env: Record<string, string> = {}) => {
      const w = await spawnWorker({ dataDir: h.dataDir, databaseUrl: h.ctx.config.databaseUrl, env: { HOLDOUT_LEASE_MS: String(LEASE_MS), ...env } });
      spawned.push(w);
      return w;
    };
    const submit = async (sleepSeconds: number, slug = 'digits') => {
      const sent = await upload(h.url, token, slug, await trivialSubmission({ sleepSeconds }));
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      return String(sent.body.id);
    };
    const row = async (id: string) => {
      const r = await h.ctx.submissions.get(id);
      assert.ok(r, `submission ${id} exists`);
      return r;
    };
    const final = (id: string) => until(`${id} to end`, async () => ['scored', 'failed', 'cancelled'].includes((await row(id)).status) && row(id));

    before(async () => {
      // No in-process worker: only the spawned processes run submissions.
      h = await startHoldout({ dialect, config: { workers: 0, leaseMs: LEASE_MS }, editYaml: (y) => y.replace(/daily_quota: \d+/, 'daily_quota: 100') });
      token = await h.participant();
      // The same competition, but every run needs a GPU.
      const gpuBundle = path.join(h.dataDir, 'gpu-bundle');
      await cp(demoBundle, gpuBundle, { recursive: true });
      const yaml = path.join(gpuBundle, 'competition.yaml');
      await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('slug: digits', 'slug: digits-gpu').replace(/^( {2}cpus: .*)$/m, '$1\n  gpus: 1'));
      await installCompetition(gpuBundle, h.ctx);
    });
    after(async () => {
      for (const w of spawned) w.kill('SIGKILL');
      await Promise.all(spawned.map((w) => w.exited));
      await h.close();
    });

    it('a worker killed with SIGKILL mid-run loses its lease; another takes over and the submission ends once', async () => {
      const id = await submit(4);
      const a = await worker();
      await until('the first worker to run it', async () => (await row(id)).lease_owner === a.id);
      await new Promise((r) => setTimeout(r, 500));
      a.kill('SIGKILL');
      assert.equal(await a.exited, 'SIGKILL');
      const lost = await until('the killed worker to show as lost', async () => {
        const listed = (await h.ctx.workers.list(LEASE_MS)).find((w) => w.id === a.id);
        return listed && !listed.alive && listed;
      });
      assert.equal(lost.running, 1, 'it died with a run in progress');

      const b = await worker();
      const done = await final(id);
      assert.equal(done.status, 'scored', JSON.stringify(done));
      assert.equal(done.attempts, 2);
      const attempts = await h.ctx.submissions.attemptsOf(id);
      assert.deepEqual(attempts.map((x) => [x.worker_id, x.outcome]), [[a.id, 'lost'], [b.id, 'scored']]);
      b.kill('SIGTERM');
      assert.equal(await b.exited, 0);
    });

    it('honours its concurrency and never claims what it cannot run (a GPU competition on a worker without GPUs)', async () => {
      const gpu = await submit(0, 'digits-gpu');
      const ids = [await submit(1), await submit(1), await submit(1)];
      const w = await spawnWorker({ dataDir: h.dataDir, databaseUrl: h.ctx.config.databaseUrl, concurrency: 2, env: { HOLDOUT_LEASE_MS: String(LEASE_MS) } });
      spawned.push(w);
      let most = 0;
      await until('the three to be scored', async () => {
        const rows = await Promise.all(ids.map(row));
        most = Math.max(most, rows.filter((r) => r.status === 'running' || r.status === 'scoring').length);
        return rows.every((r) => r.status === 'scored');
      });
      assert.equal(most, 2, 'two runs at once, never three');
      const left = await row(gpu);
      assert.deepEqual([left.status, left.attempts], ['queued', 0], 'the GPU submission waits for a worker with a GPU');
      w.kill('SIGTERM');
      assert.equal(await w.exited, 0);
      await h.ctx.submissions.deleteRow(gpu);
    });

    it('a worker with GPUs hands each run its own, and the run sees that one only', { skip: standInGpusSkip }, async () => {
      const gpus = await makeStandInGpus(2);
      try {
        const preamble = 'print("GPUS", sorted(n for n in os.listdir("/dev") if n.startswith("nvidia")), os.environ.get("CUDA_VISIBLE_DEVICES"))';
        const send = async () => {
          const sent = await upload(h.url, token, 'digits-gpu', await trivialSubmission({ sleepSeconds: 2, preamble }));
          assert.equal(sent.status, 201, JSON.stringify(sent.body));
          return String(sent.body.id);
        };
        const ids = [await send(), await send()];
        const env = { HOLDOUT_LEASE_MS: String(LEASE_MS), HOLDOUT_GPU_DEV_DIR: gpus.devDir, HOLDOUT_WORKER_GPUS: 'all' };
        const wrong = spawnWorker({ dataDir: h.dataDir, databaseUrl: h.ctx.config.databaseUrl, env: { ...env, HOLDOUT_WORKER_GPUS: '1,5' } });
        await assert.rejects(wrong, /GPU 5 is not on this host \(it has: 0, 1\)/, 'a GPU it does not have stops the worker at start');
        const w = await spawnWorker({ dataDir: h.dataDir, databaseUrl: h.ctx.config.databaseUrl, concurrency: 2, env });
        spawned.push(w);
        const second = spawnWorker({ dataDir: h.dataDir, databaseUrl: h.ctx.config.databaseUrl, env });
        await assert.rejects(second, new RegExp(`GPU 0 \\(${gpus.devDir}/nvidia0\\) is already offered by process ${w.proc.pid}`), 'two workers of one host never share a GPU');
        const listed = await until('the worker to register', async () => (await h.ctx.workers.list(LEASE_MS)).find((x) => x.id === w.id));
        assert.equal(listed.gpus, 2, 'it advertises its GPUs');
        await until('both GPU submissions to be scored', async () => (await Promise.all(ids.map(row))).every((r) => r.status === 'scored'));
        // From the recorded times, not from polling: the two runs can be over before a poll sees them.
        const [a, b] = await Promise.all(ids.map(row));
        const overlap = String(a?.started_at) < String(b?.finished_at) && String(b?.started_at) < String(a?.finished_at);
        assert.ok(overlap, `the two ran at the same time: ${a?.started_at}–${a?.finished_at} and ${b?.started_at}–${b?.finished_at}`);
        const seen: string[] = [];
        for (const id of ids) {
          const log = await text(await h.ctx.blobs.get(String((await row(id)).log_key)));
          // The stand-ins' /proc entries are not the kernel's, so CUDA_VISIBLE_DEVICES falls back to the run's own order.
          const m = log.match(/^GPUS \['nvidia-uvm', '(nvidia\d)', 'nvidiactl'\] 0$/m);
          assert.ok(m, `exactly one GPU in the run: ${log}`);
          seen.push(m[1]!);
        }
        assert.deepEqual(seen.sort(), ['nvidia0', 'nvidia1'], 'each run had its own GPU');
        w.kill('SIGTERM');
        assert.equal(await w.exited, 0);
      } finally {
        await rm(path.dirname(gpus.devDir), { recursive: true, force: true });
      }
    });

    it('SIGTERM drains: the run in progress finishes, nothing more is claimed, the worker deregisters', async () => {
      const first = await submit(2);
      const w = await worker({ HOLDOUT_DRAIN_MS: '30000' });
      await until('the worker to run the first submission', async () => (await row(first)).lease_owner === w.id);
      const second = await submit(0);
      assert.ok((await h.ctx.workers.list(LEASE_MS)).some((x) => x.id === w.id && x.alive), 'registered and alive');
      w.kill('SIGTERM');
      assert.equal(await w.exited, 0);
      assert.equal((await row(first)).status, 'scored');
      assert.deepEqual([(await row(second)).status, (await row(second)).attempts], ['queued', 0], 'claimed nothing after SIGTERM');
      assert.equal((await h.ctx.workers.list(LEASE_MS)).find((x) => x.id === w.id), undefined, 'deregistered');
      const next = await worker();
      assert.equal((await final(second)).status, 'scored');
      next.kill('SIGTERM');
      await next.exited;
    });

    it('SIGTERM past the grace period hands the run back without counting the attempt', async () => {
      const id = await submit(30);
      const w = await worker({ HOLDOUT_DRAIN_MS: '300' });
      await until('the worker to run it', async () => (await row(id)).lease_owner === w.id);
      await new Promise((r) => setTimeout(r, 300));
      const t = Date.now();
      w.kill('SIGTERM');
      assert.equal(await w.exited, 0);
      assert.ok(Date.now() - t < 10_000, 'the run was stopped, not waited for');
      const back = await row(id);
      assert.deepEqual([back.status, back.attempts, back.lease_owner], ['queued', 0, null]);
      assert.deepEqual((await h.ctx.submissions.attemptsOf(id)).map((x) => x.outcome), ['handed_back']);
      await h.ctx.submissions.deleteRow(id);
    });

    it('retries an infrastructure failure up to the attempt limit, then ends as infrastructure and frees the quota slot', async () => {
      const id = await submit(0);
      // The platform lost the upload: every attempt fails on our side, never the participant's.
      await h.ctx.blobs.delete((await row(id)).zip_key);
      const w = await worker({ HOLDOUT_MAX_ATTEMPTS: '3' });
      const done = await final(id);
      assert.deepEqual([done.status, done.reason, done.attempts], ['failed', 'infrastructure', 3]);
      assert.match(String(done.message), /submission/i);
      assert.match(done.quota_day, /^void:/, 'the quota slot is given back');
      assert.deepEqual((await h.ctx.submissions.attemptsOf(id)).map((x) => x.outcome), ['requeued', 'requeued', 'failed']);
      w.kill('SIGTERM');
      await w.exited;
    });
  });
}
