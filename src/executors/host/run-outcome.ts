import { constants } from 'node:os';
import type { RunOutcome } from '../executor.js';

/** What the executor observed about a finished run. */
export interface RunObservation {
  /** The run was cancelled through its AbortSignal. */
  cancelled: boolean;
  /** Our wall-time timer fired. */
  timedOut: boolean;
  /** Processes of the run killed by the OOM killer (the cgroup's `oom_kill` counter). */
  oomKills: number;
  /**
   * Exit status of the entry point as bwrap reports it (a signal death reads 128 + signal), or
   * null when it is unknown (bwrap itself was killed, which only our own kills should do).
   */
  status: number | null;
}

const signalNames = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as [number, string]),
);

/**
 * Decides a run's outcome. Pure.
 *
 * Order: a cancellation is what the caller asked for; an OOM kill of any process of the run
 * (the entry point may have survived a child's death and even exited 0) explains a failure better
 * than the time limit it may have led to; then the timer; else the entry point exited by itself.
 * @remarks bwrap reports a death by signal N as status 128 + N, like a shell: an entry point that
 * calls `exit(128 + N)` itself is reported as killed by signal N.
 */
export function decideOutcome(o: RunObservation): { outcome: RunOutcome; exitCode: number | null; signal: string | null } {
  let exitCode = o.status;
  let signal: string | null = null;
  if (exitCode !== null && exitCode > 128) {
    const name = signalNames.get(exitCode - 128);
    if (name !== undefined) {
      exitCode = null;
      signal = name;
    }
  }
  let outcome: RunOutcome = 'exited';
  if (o.cancelled) outcome = 'cancelled';
  else if (o.oomKills > 0) outcome = 'out_of_memory';
  else if (o.timedOut) outcome = 'timeout';
  return { outcome, exitCode, signal };
}
