import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { StoredCompetition } from '../db/competitions-repo.js';
import { maxCheckAttempts } from '../db/determinism-checks-repo.js';
import type { DeterminismCheckRow, SubmissionRow } from '../db/schema.js';
import { runDeterminismCheck } from './determinism-check.js';
import type { RunContext } from './run-submission.js';
import type { WorkerChecks, WorkerCompetitions } from './worker-deps.js';
import type { Reservation, RunNeeds } from './worker-resources.js';

/** What one attempt of a determinism check uses of the worker that claimed it. */
export interface CheckAttemptHost {
  workerId: string;
  checks: WorkerChecks;
  competitions: WorkerCompetitions;
  logger: Logger;
  leaseMs: number;
  /** This worker's scratch folder. */
  scratch: string;
  /** Takes memory and GPUs for the re-run; throws when they are not free. */
  reserve(needs: RunNeeds): Reservation;
  /** The run context the worker gives a submission of `competition` (bundle, features). */
  runContext(competition: StoredCompetition, sub: SubmissionRow, fields: Pick<RunContext, 'workDir' | 'signal' | 'gpus'>): Promise<RunContext>;
  /** Registers the attempt's abort with the worker (drain aborts it); returns the unregistration. */
  track(abort: AbortController): () => void;
}

/**
 * Claims the oldest determinism check this worker may run. Workers seen within a lease count as
 * alive: a check avoids its original worker while one is.
 * @returns undefined when none waits, the worker runs no checks, or the claim failed (logged)
 */
export async function claimCheck(checks: WorkerChecks | undefined, workerId: string, leaseMs: number, logger: Logger): Promise<DeterminismCheckRow | undefined> {
  if (!checks) return undefined;
  return checks.repo.claim(workerId, leaseMs, leaseMs).catch((err: unknown) => {
    logger.error({ err }, 'claiming a determinism check failed');
    return undefined;
  });
}

/**
 * One attempt of a claimed check: run, compare, record. A platform failure is retried up to
 * {@link maxCheckAttempts} times; a drain hands the check back; nothing touches the submission.
 */
export async function attemptCheck(host: CheckAttemptHost, check: DeterminismCheckRow): Promise<void> {
  const { checks, logger } = host;
  const lease = { owner: host.workerId, attempt: check.attempts };
  const log = logger.child({ check: check.id, submission: check.submission_id, attempt: check.attempts });
  const fail = (reason: string) => checks.repo.finish(check.id, lease, 'failed', reason, null);
  if (check.attempts > maxCheckAttempts) {
    await fail(`gave up after ${maxCheckAttempts} attempts${check.reason ? `: ${check.reason}` : ''}`);
    return;
  }
  const sub = await checks.submission(check.submission_id);
  const competition = sub && (await host.competitions.byId(sub.competition_id));
  if (!sub || !competition) {
    await fail('the submission or its competition no longer exists');
    return;
  }
  if (sub.status !== 'scored') {
    await fail(`the submission is ${sub.status} now (a host re-ran it or it was disqualified meanwhile); ask again once it is scored`);
    return;
  }
  let reservation: Reservation;
  try {
    reservation = host.reserve(competition.config.limits);
  } catch (err) {
    log.info({ err }, 'handing back a determinism check: its resources are not free here now');
    await checks.repo.requeue(check.id, lease, check.reason);
    return;
  }
  const abort = new AbortController();
  const untrack = host.track(abort);
  const renewal = setInterval(() => {
    checks.repo.renew(check.id, lease, host.leaseMs).then(
      (ok) => ok || abort.abort('lease_lost'),
      (err: unknown) => log.warn({ err }, 'renewing a determinism check lease failed'),
    );
  }, Math.max(1000, host.leaseMs / 3));
  const workDir = path.join(host.scratch, `check-${check.id}-${check.attempts}`);
  try {
    await mkdir(workDir, { recursive: true });
    const ctx = await host.runContext(competition, sub, { workDir, signal: abort.signal, gpus: reservation.gpus });
    const outcome = await runDeterminismCheck(check, sub, competition, ctx);
    if (outcome === 'cancelled') await checks.repo.requeue(check.id, lease, null);
    else {
      await checks.repo.finish(check.id, lease, outcome.status, outcome.reason, outcome.result);
      log.info({ status: outcome.status }, 'determinism check finished');
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (abort.signal.aborted) await checks.repo.requeue(check.id, lease, null).catch(() => undefined);
    else {
      log.error({ err }, 'determinism check failed on the platform');
      if (check.attempts < maxCheckAttempts) await checks.repo.requeue(check.id, lease, message);
      else await fail(`the platform failed to run it ${maxCheckAttempts} times: ${message}`);
    }
  } finally {
    clearInterval(renewal);
    untrack();
    reservation.release();
    await rm(workDir, { recursive: true, force: true, maxRetries: 3 }).catch((err: unknown) => log.warn({ err }, 'removing the scratch folder failed'));
  }
}
