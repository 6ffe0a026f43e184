import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processesWith } from '../../src/executors/executor-suite-harness.case.js';
import { detectCgroups } from '../../src/executors/host/cgroups.js';
import { RunCgroup } from '../../src/executors/host/run-cgroup.js';
import { startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';
import { fixtureZip } from './attack-harness.js';

/** Polls `check` every 50 ms until it returns something truthy, or fails after `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T>): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// test/e2e/worker-processes.test.ts covers the queue's side (lease lost, attempt recorded,
// taken over once); this is the sandbox's side: what happens to the run on the host.
describe('platform fault: the worker process is killed (SIGKILL) in the middle of a run', () => {
  let h: TestHoldout;
  let sandboxRoot: string;
  const workers: WorkerProcess[] = [];
  const leaseMs = 1500;

  async function startWorker(): Promise<WorkerProcess> {
    const w = await spawnWorker({
      dataDir: h.dataDir,
      databaseUrl: h.ctx.config.databaseUrl,
      env: { HOLDOUT_LEASE_MS: String(leaseMs), HOLDOUT_SANDBOX_ROOT: sandboxRoot },
    });
    workers.push(w);
    return w;
  }

  before(async () => {
    // The server runs no worker itself: the runs happen in the worker processes started below.
    h = await startHoldout({ config: { workers: 0 }, editYaml: (y) => y.replace(/wall_time: .*/, 'wall_time: 10s') });
    sandboxRoot = path.join(h.dataDir, 'sandbox');
  });
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await h.close();
  });

  it("kills the run's processes with the worker; the next worker sweeps its workspace and cgroups and runs it again", async () => {
    const token = `holdout-sleeper-${randomUUID()}`;
    const participant = await h.participant();
    const sent = await upload(h.url, participant, 'digits', await fixtureZip('sleeper', { token, seconds: 3 }));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const id = String(sent.body.id);

    const first = await startWorker();
    await until('the run to start', 20_000, async () => (await processesWith(token)).length > 0);
    first.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    await until('the run to die with its worker', 3000, async () => (await processesWith(token)).length === 0);
    assert.equal((await h.ctx.submissions.get(id))?.status, 'running', 'the row still says running: only the lease can tell');

    // What the killed worker could not clean up: its run's workspace, still mounted (and its
    // cgroups, which any worker starting on this host meanwhile may already have swept).
    const [orphan, ...more] = await readdir(sandboxRoot);
    assert.ok(orphan !== undefined && more.length === 0, `workspaces after the kill: ${[orphan, ...more].join(', ')}`);
    assert.ok((await readFile('/proc/self/mountinfo', 'utf8')).includes(orphan), 'the orphaned workspace is mounted');

    await startWorker();
    const done = await waitForFinal(h.url, participant, id, 30_000);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.equal(done.attempts, 2, 'the second worker ran it again after the lease ran out');

    assert.ok(!(await readdir(sandboxRoot)).includes(orphan), 'the orphaned workspace is removed');
    assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(orphan), 'the orphaned workspace is unmounted');
    assert.ok(!RunCgroup.names(detectCgroups(), 'holdout').includes(orphan), "the orphaned run's cgroups are removed");
    assert.deepEqual(await processesWith(token), []);
  });
});
