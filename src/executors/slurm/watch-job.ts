import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobFolder } from './job-script.js';
import { isActive, type JobState, type JobVerdict, type NodeVerdict, verdictWithoutResult } from './job-verdict.js';
import type { LogTail } from './log-tail.js';
import { SlurmCommandError, type SlurmClient } from './slurm-client.js';

/** What `watchJob` follows. */
export interface JobWatch {
  client: SlurmClient;
  jobId: string;
  folder: JobFolder;
  tail: LogTail;
  signal?: AbortSignal;
  /** How long scontrol may fail in a row (a controller restarting) before the run is given up. */
  controllerGraceMs: number;
  /** How often the job folder is looked at. @defaultValue 50 */
  pollMs?: number;
  /** How often the controller is asked for the job's state. @defaultValue 1000 */
  statePollMs?: number;
}

/**
 * Follows a submitted job until the node entry's verdict is in its folder or Slurm says the job
 * ended without one, forwarding the log meanwhile. The folder is read often (cheap; it is how a
 * run's end is seen promptly), the controller seldom (it serves the whole cluster). An abort
 * cancels the job (again at each state poll while it still runs: the controller may be away).
 * @returns the node's verdict, or Slurm's state turned into an outcome or a platform failure
 */
export async function watchJob(w: JobWatch): Promise<NodeVerdict | JobVerdict> {
  const pollMs = w.pollMs ?? 50;
  const statePollMs = w.statePollMs ?? 1000;
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    w.client.cancel(w.jobId).catch(() => undefined);
  };
  w.signal?.addEventListener('abort', cancel, { once: true });
  if (w.signal?.aborted) cancel();
  let nextStatePoll = Date.now() + statePollMs;
  let unreachableSince: number | undefined;
  try {
    for (;;) {
      await w.tail.poll();
      const verdict = await readVerdict(w.folder.result);
      if (verdict !== undefined) return unasked(verdict, cancelled) ? await stoppedBySlurm(w) : verdict;
      if (Date.now() >= nextStatePoll) {
        nextStatePoll = Date.now() + statePollMs;
        let job: JobState | undefined;
        try {
          job = await w.client.state(w.jobId);
          unreachableSince = undefined;
        } catch (error) {
          if (!(error instanceof SlurmCommandError)) throw error;
          unreachableSince ??= Date.now();
          if (Date.now() - unreachableSince > w.controllerGraceMs) {
            return { failure: `the Slurm controller did not answer for ${Math.round(w.controllerGraceMs / 1000)} s about job ${w.jobId}: ${error.message}` };
          }
          continue;
        }
        if (job !== undefined && isActive(job.state)) {
          if (cancelled) cancel();
        } else {
          // The verdict may have landed between the two reads.
          const late = await readVerdict(w.folder.result);
          if (late === undefined || unasked(late, cancelled)) return verdictWithoutResult(job, cancelled, w.jobId);
          return late;
        }
      }
      await sleep(pollMs);
    }
  } finally {
    w.signal?.removeEventListener('abort', cancel);
  }
}

/** Whether the node entry stopped the run for a signal that Holdout did not send. */
function unasked(verdict: NodeVerdict, cancelled: boolean): boolean {
  return verdict.ok && verdict.outcome === 'cancelled' && !cancelled;
}

/**
 * The node entry stopped the run on SIGTERM that was not Holdout's: Slurm's time limit (the job
 * is TIMEOUT), or an operator's scancel, preemption, a node going down (the platform's).
 */
async function stoppedBySlurm(w: JobWatch): Promise<JobVerdict> {
  const job = await w.client.state(w.jobId).catch(() => undefined);
  if (job?.state === 'TIMEOUT') return verdictWithoutResult(job, false, w.jobId);
  return verdictWithoutResult(job && !isActive(job.state) ? job : { state: 'CANCELLED', reason: job?.reason ?? '', exitCode: '' }, false, w.jobId);
}

/** Reads the node entry's verdict; undefined while there is none (it is renamed into place whole). */
async function readVerdict(file: string): Promise<NodeVerdict | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as NodeVerdict);
}
