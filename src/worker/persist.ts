import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/** The longest pause between two tries: short, so that a result is recorded soon after the database is back. */
const MAX_PAUSE_MS = 1000;

export interface PersistOptions {
  /** How long to keep trying. */
  withinMs: number;
  /** Which errors are worth trying again (a lost connection); any other is thrown at once. */
  transient: (err: unknown) => boolean;
  /** Stops the tries, and the wait for one that hangs: the lease was lost, the worker drains. */
  signal?: AbortSignal;
  log: Logger;
}

/**
 * Runs a database write that records what an attempt did, and runs it again while it fails with a
 * transient error, for up to `withinMs`: a run that ended while the database restarted or failed
 * over is recorded once the database is back, instead of being run again from the start (for a
 * long GPU run, hours). Past `withinMs`, or once `signal` aborts, it throws the last error (a try
 * still hanging on a dead connection is left behind), and the attempt ends as an infrastructure
 * failure, or in whatever the abort calls for.
 * @remarks Safe to repeat, and to leave behind: every write it is used for is guarded by the
 * lease, attempt number included, and records at most once.
 */
export async function persist<T>(what: string, write: () => Promise<T>, opts: PersistOptions): Promise<T> {
  const giveUpAt = Date.now() + opts.withinMs;
  for (let pause = 100; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      return await bounded(write(), giveUpAt - Date.now(), opts.signal);
    } catch (err) {
      if (!opts.transient(err) || opts.signal?.aborted || Date.now() + pause > giveUpAt) throw err;
      opts.log.warn({ err, retryInMs: pause }, `${what} failed; trying again`);
      await sleep(pause, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => undefined);
    }
  }
}

/** `pending`, or a rejection once `ms` have passed or `signal` aborts, whichever comes first. */
async function bounded<T>(pending: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  const stop = new AbortController();
  const gaveUp = sleep(Math.max(0, ms), undefined, { signal: AbortSignal.any([stop.signal, ...(signal ? [signal] : [])]) }).then(
    () => Promise.reject(new Error(`no answer from the database within ${Math.max(0, ms)} ms`)),
    () => Promise.reject(signal?.reason instanceof Error ? signal.reason : new Error(`stopped waiting for the database: ${String(signal?.reason)}`)),
  );
  try {
    return await Promise.race([pending, gaveUp]);
  } finally {
    stop.abort();
    gaveUp.catch(() => undefined);
  }
}
