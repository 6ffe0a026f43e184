import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { defaultLayout } from '../../domain/limits.js';
import { baseLimits, processesWith } from '../executor-suite-harness.case.js';
import type { RunResult } from '../executor.js';
import { SlurmExecutor } from './slurm-executor.js';
import { slurmSkip, testSlurmOptions } from './test-cluster.case.js';

// What the cluster can do wrong, done for real to the cluster of scripts/with-slurm.sh: refuse a
// job, cancel it behind Holdout's back, restart its controller, lose its node mid-run. Each ends
// with a result or a clear error (an error is the platform's fault: the worker retries the run and
// the participant's quota is untouched), and no job or process of the run is left.
const clusterDir = process.env.HOLDOUT_TEST_SLURM_DIR ?? '';
const conf = path.join(clusterDir, 'slurm.conf');
const root = path.join(process.env.HOLDOUT_TEST_SLURM_SHARED ?? '/nonexistent', `faults-${randomUUID()}`);

/** Runs `source` as main.py; `during` is called once the job's program has printed "started". */
async function runPython(executor: SlurmExecutor, source: string, during?: (token: string) => Promise<void>): Promise<RunResult> {
  const token = `fault-${randomUUID()}`;
  const dir = path.join(root, 'inputs', token);
  await mkdir(path.join(dir, 'code'), { recursive: true });
  await mkdir(path.join(dir, 'data'));
  await writeFile(path.join(dir, 'code', 'main.py'), source);
  const logPath = path.join(dir, 'log.txt');
  let started: () => void = () => undefined;
  const seen = new Promise<void>((resolve) => (started = resolve));
  const run = executor.run({
    runId: token,
    runtime: 'host',
    command: ['python', 'main.py', token],
    codeDir: path.join(dir, 'code'),
    dataDir: path.join(dir, 'data'),
    layout: defaultLayout,
    limits: baseLimits,
    logPath,
    onLog: (chunk) => {
      if (chunk.toString().includes('started')) started();
    },
  });
  if (during) await Promise.race([seen.then(() => during(token)), run.then(() => assert.fail('the run ended before it started'))]);
  return run;
}

/** Pids of the job's processes on the node (the node entry names the job folder, the run the token). */
async function jobProcesses(token: string): Promise<number[]> {
  return processesWith(token);
}

/** Jobs of this test's runs that Slurm still lists, after giving them `ms` to go. */
async function jobsLeft(ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const listed = execFileSync('squeue', ['-h', '-o', '%i %j %T'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('fault-')).join('\n');
    if (listed === '' || Date.now() > end) return listed;
    await sleep(200);
  }
}

function pidFile(name: string): number {
  return Number(execFileSync('cat', [path.join(clusterDir, `${name}.pid`)], { encoding: 'utf8' }).trim());
}

async function waitUntil(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

function nodeState(): string {
  return execFileSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' }).trim();
}

describe('slurm executor faults', { skip: slurmSkip ?? (clusterDir === '' ? 'HOLDOUT_TEST_SLURM_DIR is not set' : false) }, () => {
  let executor: SlurmExecutor;
  before(() => {
    executor = new SlurmExecutor({ ...testSlurmOptions(path.join(root, 'jobs')), controllerGraceMs: 30_000 });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('says so when the cluster refuses the job, and leaves no job folder', async () => {
    const refusing = new SlurmExecutor({ ...testSlurmOptions(path.join(root, 'refused')), partition: 'no-such-partition' });
    await assert.rejects(refusing.check(), /Slurm has no partition "no-such-partition"/);
    await assert.rejects(runPython(refusing, 'print(1)'), /Slurm refused the run's job: sbatch failed: .*invalid partition/i);
    assert.deepEqual(await readdir(path.join(root, 'refused')), []);
  });

  it('fails a run whose job someone else cancels as the platform\'s fault, leaving nothing', async () => {
    let token = '';
    const run = runPython(executor, 'import time\nprint("started", flush=True)\ntime.sleep(60)', async (t) => {
      token = t;
      execFileSync('scancel', ['--name', execFileSync('squeue', ['-h', '-o', '%j'], { encoding: 'utf8' }).split('\n').find((j) => j.startsWith(t)) ?? '']);
    });
    await assert.rejects(run, /cancelled by someone other than Holdout/);
    assert.equal(await jobsLeft(), '');
    assert.deepEqual(await jobProcesses(token), []);
  });

  it('finishes a run while the controller restarts', async () => {
    const result = await runPython(executor, 'import time\nprint("started", flush=True)\ntime.sleep(4)\nprint("done", flush=True)', async () => {
      process.kill(pidFile('slurmctld'), 'SIGTERM');
      await waitUntil('slurmctld is gone', () => spawnSync('scontrol', ['ping']).stdout.toString().includes('DOWN'));
      await sleep(1000);
      execFileSync('slurmctld', ['-f', conf]);
    });
    try {
      assert.equal(result.outcome, 'exited');
      assert.equal(result.exitCode, 0);
    } finally {
      await result.dispose();
    }
    assert.equal(await jobsLeft(), '');
  });

  it('fails a run whose node dies mid-run (NODE_FAIL) as the platform\'s fault, and the node cleans up after', async () => {
    let token = '';
    const run = runPython(executor, 'import time\nprint("started", flush=True)\ntime.sleep(120)', async (t) => {
      token = t;
      // The node's daemons and the job's processes die at once, as in a power loss.
      const stepds = await processesWith('slurmstepd');
      for (const pid of [pidFile('slurmd'), ...stepds, ...(await jobProcesses(t))]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    });
    await assert.rejects(run, /node of Slurm job \d+ failed \(NODE_FAIL/);
    // The node comes back (ReturnToService=2) and its next job sweeps the dead job's workspace.
    execFileSync('slurmd', ['-f', conf]);
    await waitUntil('the node is back', () => /^idle/.test(nodeState()), 30_000);
    const next = await runPython(executor, 'print("after")');
    await next.dispose();
    assert.equal(next.outcome, 'exited');
    assert.equal(await jobsLeft(), '');
    assert.deepEqual(await jobProcesses(token), []);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(token), 'the dead job\'s workspace is still mounted');
  });
});
