import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { CompetitionsRepo } from '../db/competitions-repo.js';
import type { SubmissionRow } from '../db/schema.js';
import type { SubmissionsRepo } from '../db/submissions-repo.js';
import type { Executor } from '../executors/executor.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { BundleCache } from './bundle-cache.js';
import { runSubmission } from './run-submission.js';

export interface WorkerOptions {
  /** Runs at once. */
  concurrency: number;
  leaseMs: number;
  maxAttempts: number;
  maxUnpackedBytes: number;
  maxFiles: number;
  /** Scratch folder for downloads and unpacked code. */
  scratchDir: string;
  /**
   * How often an idle worker looks for work it was not woken for (other processes' uploads,
   * expired leases). In-process uploads call `wake()` and start at once.
   * @defaultValue 1000
   */
  pollMs?: number;
}

export interface WorkerDeps {
  submissions: SubmissionsRepo;
  competitions: CompetitionsRepo;
  blobs: BlobStore;
  executor: Executor;
  bundles: BundleCache;
  logger: Logger;
}

/** Events: `status` (submissionId) after every status change, `log` (submissionId, chunk). */
export class Worker extends EventEmitter {
  readonly id = `${hostname()}-${randomUUID().slice(0, 8)}`;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private loops: Promise<void>[] = [];
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly deps: WorkerDeps,
    private readonly opts: WorkerOptions,
  ) {
    super();
  }

  start(): void {
    for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.loop());
  }

  /** A submission was queued: an idle loop claims it now instead of at its next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Cancels a run of this worker, if it has it. */
  cancel(submissionId: string): boolean {
    const c = this.running.get(submissionId);
    c?.abort();
    return c !== undefined;
  }

  /** Stops claiming, lets the runs in progress finish, and returns when all loops have ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let row: SubmissionRow | undefined;
      try {
        row = await this.deps.submissions.claim(this.id, this.opts.leaseMs);
      } catch (err) {
        this.deps.logger.error({ err }, 'claiming a submission failed');
      }
      if (row) await this.process(row);
      else await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.opts.pollMs ?? 1000);
      // Chain wakers so that one wake() releases every idle loop.
      const previous = this.wakeUp;
      this.wakeUp = () => {
        previous?.();
        done();
      };
    });
  }

  private async process(row: SubmissionRow): Promise<void> {
    const { submissions, logger } = this.deps;
    const log = logger.child({ submission: row.id, attempt: row.attempts });
    this.emit('status', row.id);
    if (row.attempts > this.opts.maxAttempts) {
      await submissions.finish(row.id, this.id, {
        status: 'failed',
        reason: 'infrastructure',
        message: `gave up after ${this.opts.maxAttempts} attempts${row.message ? `: ${row.message}` : ''}`,
      });
      this.emit('status', row.id);
      return;
    }
    const abort = new AbortController();
    this.running.set(row.id, abort);
    // The heartbeat keeps the lease; losing it means another worker took over: stop at once.
    const heartbeat = setInterval(() => {
      submissions.renewLease(row.id, this.id, this.opts.leaseMs).then(
        (ok) => ok || abort.abort(),
        (err: unknown) => log.warn({ err }, 'lease renewal failed'),
      );
    }, Math.max(1000, this.opts.leaseMs / 3));
    const workDir = path.join(this.opts.scratchDir, `${row.id}-${row.attempts}`);
    try {
      const competition = await this.deps.competitions.byId(row.competition_id);
      if (!competition) throw new Error(`competition ${row.competition_id} not found`);
      await mkdir(workDir, { recursive: true });
      const result = await runSubmission(row, competition, {
        blobs: this.deps.blobs,
        executor: this.deps.executor,
        bundleDir: await this.deps.bundles.get(competition.bundleKey),
        workDir,
        limits: { maxUnpackedBytes: this.opts.maxUnpackedBytes, maxFiles: this.opts.maxFiles },
        signal: abort.signal,
        onScoring: async () => {
          await submissions.markScoring(row.id, this.id);
          this.emit('status', row.id);
        },
        onLog: (chunk) => this.emit('log', row.id, chunk),
      });
      if (result === 'cancelled') await submissions.finish(row.id, this.id, { status: 'cancelled', message: 'cancelled while running' });
      else await submissions.finish(row.id, this.id, result);
      log.info({ status: result === 'cancelled' ? 'cancelled' : result.status }, 'submission finished');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.error({ err }, 'infrastructure failure');
      if (row.attempts < this.opts.maxAttempts) await submissions.requeue(row.id, this.id, message);
      else await submissions.finish(row.id, this.id, { status: 'failed', reason: 'infrastructure', message });
    } finally {
      clearInterval(heartbeat);
      this.running.delete(row.id);
      await rm(workDir, { recursive: true, force: true });
      this.emit('status', row.id);
    }
  }
}
