import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { StoredCompetition } from '../db/competitions-repo.js';
import type { WorkerDeps, WorkerOptions } from './worker-deps.js';
import type { DeterminismCheckRow, SubmissionRow } from '../db/schema.js';
import { isTransientDbError } from '../db/db-errors.js';
import type { Lease } from '../db/submissions-repo.js';
import { phaseConfig } from '../domain/phases.js';
import { UnrunnableError } from '../executors/executor.js';
import { attemptLimitMs, defaultDeadlines, overdueMessage, queuedTooLongMessage, type Deadlines } from './deadlines.js';
import { defaultSweepAges, markScratchOwner, scratchOwnerFile, type SweepAges, sweepHost } from './host-sweep.js';
import { scorerVersion } from '../scoring/scorer-version.js';
import { persist } from './persist.js';
import { rescoreSubmission } from './rescore-submission.js';
import { attemptCheck, type CheckAttemptHost, claimCheck } from './check-attempt.js';
import { type RunContext, runSubmission } from './run-submission.js';
import { runInputs } from './run-inputs.js';
import { WorkerRegistration } from './worker-registration.js';
import { hostOffer, type Reservation, WorkerResources, type WorkerOffer } from './worker-resources.js';

export type { WorkerCompetitions, WorkerDeps, WorkerOptions, WorkerQueue, WorkerRegistry } from './worker-deps.js';

/** Why a run was aborted: decides what is recorded for it. */
type AbortReason = 'cancel' | 'drain' | 'lease_lost' | 'deadline';

/** A claimed submission with its competition (or why that could not be read) and its reservation. */
interface Claim {
  row: SubmissionRow;
  competition: StoredCompetition | Error;
  /** The claim's memory and GPUs, held until the attempt ends. */
  reservation: Reservation;
}

/** Events: `status` (submissionId) after every status change, `log` (submissionId, chunk). */
export class Worker extends EventEmitter {
  readonly id = `${hostname()}-${randomUUID().slice(0, 8)}`;
  private readonly resources: WorkerResources;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private loops: Promise<void>[] = [];
  private claiming: Promise<unknown> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly registration: WorkerRegistration;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly deadlines: Deadlines;
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly deps: WorkerDeps,
    private readonly opts: WorkerOptions,
  ) {
    super();
    this.resources = new WorkerResources(opts.offer ?? hostOffer([deps.executor.name]));
    const advert = { id: this.id, hostname: hostname(), capacity: opts.concurrency, ...this.resources.offer, gpus: this.resources.offer.gpus.length };
    this.registration = new WorkerRegistration(deps.workers, advert, deps.logger);
    this.deadlines = { ...defaultDeadlines, ...opts.deadlines };
  }

  /** Registers the worker, then claims with `concurrency` loops until `stop()`. */
  start(): void {
    if (this.loops.length > 0 || this.stopping) return;
    markScratchOwner(this.scratch);
    void this.beat();
    this.heartbeat = setInterval(() => void this.beat(), this.beatMs());
    void this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), this.deadlines.sweepMs);
    for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.loop());
  }

  private get isTransient(): (err: unknown) => boolean {
    return this.deps.isTransient ?? isTransientDbError;
  }

  /** This worker's hold on its claim of `row`. */
  private leaseOf(row: Pick<SubmissionRow, 'attempts'>): Lease {
    return { owner: this.id, attempt: row.attempts };
  }

  /** This worker's own scratch folder: several worker processes of one host share `scratchDir`. */
  private get scratch(): string {
    return path.join(this.opts.scratchDir, this.id);
  }

  /** What this worker offers to the runs it claims. */
  get offer(): WorkerOffer {
    return this.resources.offer;
  }

  /** A submission was queued: an idle loop claims it now instead of at its next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Cancels a run of this worker, if it has it. */
  cancel(submissionId: string): boolean {
    const c = this.running.get(submissionId);
    c?.abort('cancel' satisfies AbortReason);
    return c !== undefined;
  }

  /**
   * Drains: stops claiming at once, lets the runs in progress finish for up to `graceMs`, then
   * aborts the rest and hands them back to the queue (without counting the attempt), deregisters
   * and resolves. Calling it again with a shorter grace shortens the wait.
   * @defaultValue graceMs: no limit
   */
  stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopping = true;
    this.wake();
    this.stopped ??= this.drain();
    if (Number.isFinite(graceMs)) {
      const timer = setTimeout(() => this.abortAll('drain'), graceMs);
      void this.stopped.then(() => clearTimeout(timer));
    }
    return this.stopped;
  }

  private async drain(): Promise<void> {
    void this.beat();
    clearInterval(this.sweeper);
    await Promise.all([...this.loops, this.sweeping]);
    clearInterval(this.heartbeat);
    await rm(this.scratch, { recursive: true, force: true }).catch((err: unknown) => this.deps.logger.warn({ err }, 'removing the scratch folder failed'));
    await this.registration.leave();
  }

  private abortAll(reason: AbortReason): void {
    for (const c of this.running.values()) c.abort(reason);
  }

  /** Heartbeats come three times per lease, so a live worker never looks lost. */
  private beatMs(): number {
    return Math.max(1000, this.opts.leaseMs / 3);
  }

  private beat(): Promise<void> {
    return this.registration.beat({ running: this.running.size, draining: this.stopping });
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        const claim = await this.claimNext();
        if (claim && 'check' in claim) await attemptCheck(this.checkHost(), claim.check);
        else if (claim) await this.process(claim);
        else await this.idle();
      } catch (err) {
        // A bug of ours must not end the loop (and with it, a clean drain): log it and go on.
        this.deps.logger.error({ err }, 'worker loop failed');
        await this.idle();
      }
    }
  }

  /** One claim at a time per worker, so that two loops never reserve the same free memory or GPU. */
  private claimNext(): Promise<Claim | { check: DeterminismCheckRow } | undefined> {
    const next = this.claiming.then(() => this.claimOnce());
    this.claiming = next.catch(() => undefined);
    return next;
  }

  private async claimOnce(): Promise<Claim | { check: DeterminismCheckRow } | undefined> {
    if (this.stopping) return undefined;
    const { submissions, competitions, logger } = this.deps;
    const { runtimes } = this.resources.offer;
    let row: SubmissionRow | undefined;
    try {
      // An executor that cannot mount a host's harness leaves such competitions to workers that can.
      const harness = this.deps.executor.cannotRunHarness === undefined ? {} : { harness: false };
      row = await submissions.claim(this.id, this.opts.leaseMs, { free: this.resources.free(), ...(runtimes ? { runtimes } : {}), ...harness });
    } catch (err) {
      logger.error({ err }, 'claiming a submission failed');
    }
    // A host's determinism check waits until no submission does: participants' runs come first.
    if (!row) {
      const check = await claimCheck(this.deps.checks, this.id, this.opts.leaseMs, logger);
      return check ? { check } : undefined;
    }
    // Read at once after the claim: a dropped connection in between must not cost the attempt.
    const reading = { withinMs: this.deadlines.recordMs, transient: this.isTransient, log: logger };
    const competition = await persist('reading the competition', () => competitions.byId(row.competition_id), reading).then(
      (c) => c ?? new Error(`competition ${row.competition_id} not found`),
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    // A phase with limits of its own runs (and reserves) under those, not the competition's.
    const limits = competition instanceof Error ? { cpus: 0, memoryBytes: 0, gpus: 0 } : phaseConfig(competition.config, row.phase).limits;
    try {
      return { row, competition, reservation: this.resources.reserve({ cpus: limits.cpus, memoryBytes: limits.memoryBytes, gpus: limits.gpus }) };
    } catch (err) {
      // The bundle was replaced between the claim and this read, and now needs more GPUs than are
      // free: give the submission back uncounted, for a worker that has them (or this one, later).
      logger.warn({ err, submission: row.id }, 'handing back a claim that no longer fits');
      await submissions.handBack(row.id, this.leaseOf(row), 'handed back: its competition changed while it was claimed').catch(() => undefined);
      return undefined;
    }
  }

  /** What a determinism check's attempt uses of this worker. */
  private checkHost(): CheckAttemptHost {
    const { checks, competitions, logger } = this.deps;
    if (!checks) throw new Error('a determinism check was claimed without the checks repository');
    return {
      workerId: this.id,
      checks,
      competitions,
      logger,
      leaseMs: this.opts.leaseMs,
      scratch: this.scratch,
      reserve: (needs) => this.resources.reserve(needs),
      runContext: async (competition, sub, fields) => ({
        ...(await runInputs(this.deps, competition, sub)),
        ...fields,
        limits: { maxUnpackedBytes: this.opts.maxUnpackedBytes, maxFiles: this.opts.maxFiles },
        onScoring: async () => {},
      }),
      track: (abort) => {
        const key = `check:${randomUUID()}`;
        this.running.set(key, abort);
        return () => this.running.delete(key);
      },
    };
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

  private async process({ row, competition, reservation }: Claim): Promise<void> {
    const { submissions, logger } = this.deps;
    const log = logger.child({ submission: row.id, attempt: row.attempts, worker: this.id });
    this.emit('status', row.id);
    if (row.attempts > this.opts.maxAttempts) {
      const message = `gave up after ${this.opts.maxAttempts} attempts${row.message ? `: ${row.message}` : ''}`;
      try {
        log.warn({ recorded: await submissions.finish(row.id, this.leaseOf(row), { status: 'failed', reason: 'infrastructure', message }) }, message);
      } finally {
        reservation.release();
        this.emit('status', row.id);
      }
      return;
    }
    const abort = new AbortController();
    this.running.set(row.id, abort);
    // The registry shows what each worker runs now, not as of its last periodic heartbeat.
    void this.beat();
    // The heartbeat keeps the lease; losing it means another worker took over: stop at once.
    const heartbeat = setInterval(() => {
      submissions.renewLease(row.id, this.leaseOf(row), this.opts.leaseMs).then(
        (ok) => ok || abort.abort('lease_lost' satisfies AbortReason),
        (err: unknown) => log.warn({ err }, 'lease renewal failed'),
      );
    }, Math.max(1000, this.opts.leaseMs / 3));
    // The lease covers a dead worker; this covers a live one whose attempt hangs (a stuck download,
    // mount or scorer): past the deadline the attempt ends, whatever the code awaiting it does.
    // The phase's limits, where it sets its own: a final phase with a longer wall time must not be cut short.
    const limitMs = competition instanceof Error ? 0 : attemptLimitMs(phaseConfig(competition.config, row.phase));
    const deadline = competition instanceof Error ? undefined : setTimeout(() => void this.overdue(row, abort, limitMs, log), limitMs + this.deadlines.graceMs);
    const workDir = path.join(this.scratch, `${row.id}-${row.attempts}`);
    // What the attempt did is recorded even across a short database outage (see `persist`).
    const recording = { withinMs: this.deadlines.recordMs, transient: this.isTransient, signal: abort.signal, log };
    try {
      if (competition instanceof Error) throw competition;
      // Marked again where a sweep removed the folder anyway (it could not tell): one stat, not a write per attempt.
      if (!existsSync(path.join(this.scratch, scratchOwnerFile))) markScratchOwner(this.scratch);
      await mkdir(workDir, { recursive: true });
      const runContext: RunContext = {
        ...(await runInputs(this.deps, competition, row)),
        workDir,
        limits: { maxUnpackedBytes: this.opts.maxUnpackedBytes, maxFiles: this.opts.maxFiles },
        signal: abort.signal,
        gpus: reservation.gpus,
        onScoring: async () => {
          await persist('marking the submission as scoring', () => submissions.markScoring(row.id, this.leaseOf(row)), recording);
          this.emit('status', row.id);
        },
        onLog: (chunk) => this.emit('log', row.id, chunk),
      };
      // A host's re-score uses the kept predictions; without them, the submission runs again.
      const rescored = row.rescore === 1 ? await rescoreSubmission(row, competition, runContext) : undefined;
      const outcome = rescored ?? (await runSubmission(row, competition, runContext));
      const provenance = { testDataDigest: competition.config.testDataDigest ?? null, bundleDigest: competition.bundleDigest, scorerVersion };
      const result = outcome === 'cancelled' ? outcome : { ...outcome, provenance };
      if (result !== 'cancelled') {
        const recorded = await persist('recording the result', () => submissions.finish(row.id, this.leaseOf(row), result), recording);
        log.info({ status: result.status, reason: result.reason, recorded }, 'submission finished');
      } else await this.aborted(row, abort.signal.reason as AbortReason, log);
    } catch (err) {
      if (abort.signal.aborted) await this.aborted(row, abort.signal.reason as AbortReason, log, err);
      else {
        const message = err instanceof Error ? err.message : String(err);
        log.error({ err }, 'infrastructure failure');
        // An executor that can never run it (a harness on kubernetes): retrying would only repeat it.
        if (err instanceof UnrunnableError) await persist('recording the failure', () => submissions.finish(row.id, this.leaseOf(row), { status: 'failed', reason: 'infrastructure', message }), recording);
        else if (row.attempts < this.opts.maxAttempts) await persist('queueing the submission again', () => submissions.requeue(row.id, this.leaseOf(row), message), recording);
        else await persist('recording the failure', () => submissions.finish(row.id, this.leaseOf(row), { status: 'failed', reason: 'infrastructure', message }), recording);
      }
    } finally {
      clearInterval(heartbeat);
      clearTimeout(deadline);
      this.running.delete(row.id);
      void this.beat();
      reservation.release();
      await rm(workDir, { recursive: true, force: true, maxRetries: 3 }).catch((err: unknown) => log.warn({ err }, 'removing the scratch folder failed'));
      this.emit('status', row.id);
    }
  }

  /** Records what an aborted run's reason calls for. */
  private async aborted(row: SubmissionRow, reason: AbortReason, log: Logger, err?: unknown): Promise<void> {
    const { submissions } = this.deps;
    switch (reason) {
      case 'drain':
        log.info({ handedBack: await submissions.handBack(row.id, this.leaseOf(row)) }, 'handed back while shutting down');
        return;
      case 'lease_lost':
        // Another worker holds the submission now; whatever this one would record is refused anyway.
        log.warn({ err }, 'lease lost; the run was stopped');
        return;
      case 'cancel':
        await submissions.finish(row.id, this.leaseOf(row), { status: 'cancelled', message: 'cancelled while running' });
        return;
      case 'deadline':
        // `overdue` has recorded it already.
        return;
    }
  }

  /** Ends an attempt past its deadline as an infrastructure failure (retried while attempts remain), then stops it. */
  private async overdue(row: SubmissionRow, abort: AbortController, limitMs: number, log: Logger): Promise<void> {
    const { submissions } = this.deps;
    const message = overdueMessage(limitMs, this.deadlines.graceMs);
    log.error({ deadlineMs: limitMs + this.deadlines.graceMs }, message);
    try {
      if (row.attempts < this.opts.maxAttempts) await submissions.requeue(row.id, this.leaseOf(row), message);
      else await submissions.finish(row.id, this.leaseOf(row), { status: 'failed', reason: 'infrastructure', message });
    } catch (err) {
      log.error({ err }, 'recording an overdue attempt failed; the lease will run out instead');
    } finally {
      abort.abort('deadline' satisfies AbortReason);
      this.emit('status', row.id);
    }
  }

  /** Ends submissions queued past their deadline and cleans what killed workers left; one sweep at a time. */
  private sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    await this.expireQueued();
    try {
      const { competitions, workers, bundles } = this.deps;
      const ages = { ...defaultSweepAges, ...this.opts.sweepAges };
      const swept = await sweepHost({ workers, competitions, bundles, ...(this.deps.images ? { images: this.deps.images } : {}), scratchDir: this.opts.scratchDir, selfId: this.id, lostAfterMs: this.opts.leaseMs, ages });
      if (swept.forgottenWorkers + swept.scratch.length + swept.bundles.length + swept.images.length > 0) this.deps.logger.info(swept, 'swept leftovers');
    } catch (err) {
      this.deps.logger.warn({ err }, 'sweeping leftovers failed');
    }
  }

  /** Ends submissions queued past their deadline (any worker may; the update is idempotent). */
  private async expireQueued(): Promise<void> {
    const { queuedMs } = this.deadlines;
    try {
      const ids = await this.deps.submissions.expireQueued(new Date(Date.now() - queuedMs).toISOString(), queuedTooLongMessage(queuedMs));
      if (ids.length > 0) this.deps.logger.warn({ submissions: ids }, 'ended submissions queued past their deadline');
      for (const id of ids) this.emit('status', id);
    } catch (err) {
      this.deps.logger.warn({ err }, 'looking for submissions queued past their deadline failed');
    }
  }
}
