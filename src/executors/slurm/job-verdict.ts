import type { ResourceUsage } from '../../domain/resource-usage.js';
import type { RunOutcome } from '../executor.js';

/** A job's state as scontrol shows it. */
export interface JobState {
  /** JobState, e.g. RUNNING, COMPLETED, OUT_OF_MEMORY, NODE_FAIL. */
  state: string;
  /** Reason, e.g. None, Resources, NodeDown. */
  reason: string;
  /** ExitCode, "status:signal" of the batch script. */
  exitCode: string;
}

/** What the node entry writes as its last step (result.json). */
export type NodeVerdict =
  | { ok: true; outcome: RunOutcome; exitCode: number | null; signal: string | null; wallMs: number; usage?: ResourceUsage }
  | { ok: false; error: string };

/** States of a job that has not ended yet (Slurm 22.05's job_state_string, base states and flags). */
const activeStates = new Set(['PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED', 'RESV_DEL_HOLD']);

/** Whether a job in this state may still run (or still be cleaned up on its node). Pure. */
export function isActive(state: string): boolean {
  return activeStates.has(state);
}

/** How a run ended, or why it is the platform's failure (the worker retries those). */
export type JobVerdict = { outcome: RunOutcome; exitCode: number | null; signal: string | null } | { failure: string };

/**
 * Decides how a job that ended without the node entry's verdict counts. Pure.
 *
 * Only what the submission caused becomes an outcome: TIMEOUT (it was still running at its wall
 * time plus the grace) and a CANCELLED that the caller asked for. Everything else is the
 * platform's: a node that died (NODE_FAIL), a job someone else cancelled, a controller that lost
 * it, and OUT_OF_MEMORY, which here means the node entry itself overran the memory Slurm gave it on
 * top of the run's (the run's own processes are charged to the sandbox's cgroup, which reports its
 * out-of-memory kills in the verdict): raise the overhead rather than charge the participant.
 * @param job - the last state seen; undefined when the controller no longer knows the job
 */
export function verdictWithoutResult(job: JobState | undefined, cancelledByUs: boolean, jobId: string): JobVerdict {
  if (job === undefined) {
    return { failure: `Slurm no longer knows job ${jobId} and it left no result (the controller lost it, or purged it: raise MinJobAge)` };
  }
  const { state, reason } = job;
  if (state === 'CANCELLED' && cancelledByUs) return { outcome: 'cancelled', exitCode: null, signal: null };
  if (state === 'TIMEOUT') return { outcome: 'timeout', exitCode: null, signal: null };
  const because = reason && reason !== 'None' ? ` (reason ${reason})` : '';
  switch (state) {
    case 'CANCELLED':
      return { failure: `Slurm job ${jobId} was cancelled by someone other than Holdout${because}` };
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
      return { failure: `the node of Slurm job ${jobId} failed (${state}${because}); the run is retried` };
    case 'OUT_OF_MEMORY':
      return { failure: `Holdout's node entry of Slurm job ${jobId} ran out of the memory Slurm gave it beyond the run's; raise slurmMemoryOverheadBytes` };
    case 'PREEMPTED':
    case 'DEADLINE':
      return { failure: `Slurm ended job ${jobId} (${state}${because}); the run is retried` };
    default:
      return { failure: `Slurm job ${jobId} ended ${state} (exit ${job.exitCode})${because} without a result from Holdout's node entry` };
  }
}

/** Reads JobState, Reason and ExitCode from one line of `scontrol show job -o`. Pure. */
export function parseJobState(line: string): JobState | undefined {
  const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1];
  const state = field('JobState');
  if (state === undefined) return undefined;
  return { state, reason: field('Reason') ?? '', exitCode: field('ExitCode') ?? '' };
}
