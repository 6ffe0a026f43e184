import type { CompetitionConfig } from '../domain/competition.js';

/**
 * Every state before a final one has a deadline, so that no submission waits forever:
 * - `running`/`scoring`: the competition's time limits (the run's, plus its scoring program's if
 *   it has one) plus `graceMs` (fetching, unpacking, keeping the log, scoring) from the claim. A worker that dies stops renewing its lease and another
 *   worker takes the submission over; a live worker whose attempt hangs past the deadline ends
 *   the attempt itself (see `Worker`).
 * - `queued`: `queuedMs` from the upload. Past it no worker could take the submission (none
 *   offers what its competition needs, or none runs): any worker ends it.
 * Both end as `infrastructure` failures (retried while attempts remain, quota slot freed).
 */
export interface Deadlines {
  /** @defaultValue 10 minutes */
  graceMs: number;
  /** @defaultValue 24 hours */
  queuedMs: number;
  /** How often a worker looks for submissions queued past `queuedMs`. @defaultValue 1 minute */
  sweepMs: number;
  /**
   * How long a worker keeps trying to record an attempt's result while the database cannot be
   * reached (a restart, a failover), before the attempt counts as an infrastructure failure.
   * @defaultValue 1 minute
   */
  recordMs: number;
}

export const defaultDeadlines: Readonly<Deadlines> = Object.freeze({ graceMs: 10 * 60_000, queuedMs: 24 * 3_600_000, sweepMs: 60_000, recordMs: 60_000 });

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** The time limits an attempt runs under: the submission's and its scoring program's. Pure. */
export function attemptLimitMs(config: Pick<CompetitionConfig, 'limits' | 'scoring'>): number {
  return config.limits.wallTimeMs + (config.scoring.program?.limits.wallTimeMs ?? 0);
}

/** The failure message of an attempt ended at its deadline. Pure. */
export function overdueMessage(limitMs: number, graceMs: number): string {
  return `the platform did not finish this attempt within ${duration(limitMs + graceMs)} (its time limits of ${duration(limitMs)} plus ${duration(graceMs)} for fetching, unpacking and scoring)`;
}

/** The failure message of a submission that stayed queued too long. Pure. */
export function queuedTooLongMessage(queuedMs: number): string {
  return `no worker could run this submission within ${duration(queuedMs)} of its upload (none was running, or none offers what the competition needs)`;
}
