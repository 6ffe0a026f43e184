import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/** The longest pause between two tries: short, so that a result is recorded soon after the database is back. */
const MAX_PAUSE_MS = 1000;

/**
 * Runs a database write that records what an attempt did, and runs it again while it fails, for up
 * to `withinMs`: a run that ended while the database restarted or failed over is recorded once the
 * database is back, instead of being run again from the start (for a long GPU run, hours). Gives
 * up early when `signal` aborts (the lease was lost, the worker drains); then, as past `withinMs`,
 * it throws the last error, and the attempt is retried as an infrastructure failure.
 * @remarks Safe to repeat: every write it is used for is guarded by the lease and idempotent.
 */
export async function persist<T>(what: string, write: () => Promise<T>, opts: { withinMs: number; signal?: AbortSignal; log: Logger }): Promise<T> {
  const giveUpAt = Date.now() + opts.withinMs;
  for (let pause = 100; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      return await write();
    } catch (err) {
      if (opts.signal?.aborted || Date.now() + pause > giveUpAt) throw err;
      opts.log.warn({ err, retryInMs: pause }, `${what} failed; trying again`);
      await sleep(pause, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => undefined);
    }
  }
}
