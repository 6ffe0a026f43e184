import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installCompetition } from '../../src/app/install-competition.js';
import { type Executor, type RunResult, type RunSpec, UnrunnableError } from '../../src/executors/executor.js';
import { demoBundle, upload } from '../helpers/holdout-server.js';
import { fixtureZip, startBench, type AttackBench } from './attack-harness.js';

/**
 * A platform fault: the executor never returns (a hung mount, a stuck container engine), until
 * the run is aborted. The real executor is only used for its host check.
 */
class StuckExecutor implements Executor {
  readonly name: string;
  constructor(private readonly real: Executor) {
    this.name = real.name;
  }
  check(): Promise<void> {
    return this.real.check();
  }
  run(spec: RunSpec): Promise<RunResult> {
    return new Promise((_resolve, reject) => {
      const stop = () => reject(new Error('the stuck run was stopped'));
      if (spec.signal?.aborted) stop();
      spec.signal?.addEventListener('abort', stop, { once: true });
    });
  }
}

/** An executor that can never run the spec (as kubernetes with a harness). */
class UnrunnableExecutor implements Executor {
  readonly name: string;
  constructor(private readonly real: Executor) {
    this.name = real.name;
  }
  check(): Promise<void> {
    return this.real.check();
  }
  run(): Promise<RunResult> {
    return Promise.reject(new UnrunnableError('this executor cannot run a harness'));
  }
}

describe('platform fault: every unfinished state has a deadline', () => {
  describe('an attempt that hangs inside the platform', () => {
    let b: AttackBench;
    before(async () => {
      b = await startBench({
        limits: { wall_time: '1s' },
        worker: { maxAttempts: 2, deadlines: { graceMs: 1000 } },
        wrapExecutor: (real) => new StuckExecutor(real),
      });
    });
    after(() => b.close());

    it('ends at the time limit plus the grace, is retried, then fails as infrastructure with a reason', async () => {
      const started = Date.now();
      const id = await b.submit('sleeper', { settings: { token: 'unused', seconds: 0 } });
      const seen = new Set<string>();
      const timer = setInterval(() => void b.h.ctx.submissions.get(id).then((r) => r && seen.add(r.status)), 50);
      const done = await b.final(id, b.token, 20_000).finally(() => clearInterval(timer));
      const elapsed = Date.now() - started;
      assert.equal(done.status, 'failed', JSON.stringify(done));
      assert.equal(done.reason, 'infrastructure');
      assert.match(String(done.message), /did not finish this attempt within 2 s \(its time limits of 1 s plus 1 s for fetching, unpacking and scoring\)/);
      assert.equal(done.attempts, 2, 'one retry before giving up');
      assert.ok(elapsed < 2 * 2000 + 3000, `ended ${elapsed} ms after the upload`);
      assert.ok([...seen].every((s) => ['queued', 'running', 'failed'].includes(s)), `statuses seen: ${[...seen].join(', ')}`);
      const quota = await b.h.ctx.db.selectFrom('submissions').select('quota_day').where('id', '=', id).executeTakeFirstOrThrow();
      assert.match(quota.quota_day, /^void:/, 'an infrastructure failure costs no quota');
    });
  });

  describe('an attempt that hangs in a phase with limits of its own', () => {
    let b: AttackBench;
    before(async () => {
      // The competition allows 10 minutes; the open phase only 1 s: the phase's limit sets the deadline.
      b = await startBench({
        limits: { wall_time: '10m' },
        worker: { maxAttempts: 1, deadlines: { graceMs: 1000 } },
        wrapExecutor: (real) => new StuckExecutor(real),
        editBundle: async (dir) => {
          const yaml = path.join(dir, 'competition.yaml');
          const text = await readFile(yaml, 'utf8');
          const edited = text.replace(/^( {2}- \{ name: development, .*)\}$/m, '$1, limits: { wall_time: 1s } }');
          assert.notEqual(edited, text, 'the demo bundle has one phase on one line');
          await writeFile(yaml, edited);
        },
      });
    });
    after(() => b.close());

    it("ends at the phase's time limit plus the grace, not the competition's", async () => {
      const id = await b.submit('sleeper', { settings: { token: 'unused', seconds: 0 } });
      const done = await b.final(id, b.token, 20_000);
      assert.equal(done.status, 'failed', JSON.stringify(done));
      assert.equal(done.reason, 'infrastructure');
      assert.match(String(done.message), /within 2 s \(its time limits of 1 s plus 1 s/);
    });
  });

  describe('an attempt the executor can never run', () => {
    let b: AttackBench;
    before(async () => {
      b = await startBench({ worker: { maxAttempts: 3 }, wrapExecutor: (real) => new UnrunnableExecutor(real) });
    });
    after(() => b.close());

    it('fails at once as infrastructure with the reason, not after retries', async () => {
      const id = await b.submit('sleeper', { settings: { token: 'unused', seconds: 0 } });
      const done = await b.final(id, b.token, 20_000);
      assert.deepEqual([done.status, done.reason, done.attempts], ['failed', 'infrastructure', 1], JSON.stringify(done));
      assert.match(String(done.message), /cannot run a harness/);
    });
  });

  describe('a submission no worker can take', () => {
    let b: AttackBench;
    before(async () => {
      b = await startBench({ worker: { deadlines: { queuedMs: 1500, sweepMs: 200 } } });
      // The same competition, but every run needs a GPU, which the bench's worker does not offer.
      const gpuBundle = path.join(b.h.dataDir, 'gpu-bundle');
      await cp(demoBundle, gpuBundle, { recursive: true });
      const yaml = path.join(gpuBundle, 'competition.yaml');
      await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('slug: digits', 'slug: digits-gpu').replace(/^( {2}cpus: .*)$/m, '$1\n  gpus: 1'));
      await installCompetition(gpuBundle, b.h.ctx);
    });
    after(() => b.close());

    it('stays queued only until its deadline, then fails as infrastructure with a reason', async () => {
      const started = Date.now();
      const sent = await upload(b.h.url, b.token, 'digits-gpu', await fixtureZip('sleeper', { token: 'unused', seconds: 0 }));
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const done = await b.final(String(sent.body.id), b.token, 10_000);
      assert.equal(done.status, 'failed', JSON.stringify(done));
      assert.equal(done.reason, 'infrastructure');
      assert.match(String(done.message), /^no worker could run this submission within 1\.5 s of its upload/);
      assert.equal(done.attempts, 0, 'it never ran');
      assert.ok(Date.now() - started < 1500 + 2000, `ended ${Date.now() - started} ms after the upload`);
    });
  });
});
