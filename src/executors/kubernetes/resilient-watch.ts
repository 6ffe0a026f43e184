import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A list+watch of one kind of object, as the API server offers it. The adapter over
 * @kubernetes/client-node is `kube-client.ts`; tests script their own.
 */
export interface WatchSource<T> {
  /** The current objects and the resourceVersion of that list. */
  list(): Promise<{ items: T[]; resourceVersion: string }>;
  /**
   * Streams events that follow `resourceVersion` to `onEvent` until the server closes the stream
   * (resolves: watches end after a few minutes by design) or the connection fails (rejects).
   * Stops, resolving, when `signal` aborts.
   */
  watch(resourceVersion: string, onEvent: (type: string, object: unknown) => void, signal: AbortSignal): Promise<void>;
}

/** What the caller sees: a full list (at start and after each relist), then changes. */
export type WatchUpdate<T> = { type: 'LIST'; items: T[] } | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T };

export interface ResilientWatchOptions {
  /** First pause after a failed connection; doubles up to 8x. @defaultValue 500 */
  retryMs?: number;
  /** Failed connections in a row (no event between them) before giving up. @defaultValue 8 */
  maxFailures?: number;
}

function resourceVersionOf(object: unknown): string | undefined {
  const rv = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' ? rv : undefined;
}

/** 410 Gone: the resourceVersion is older than what the server keeps; only a new list helps. */
function isGone(value: unknown): boolean {
  const v = value as { code?: unknown; statusCode?: unknown } | null;
  return v?.code === 410 || v?.statusCode === 410;
}

/**
 * Watches until `signal` aborts, surviving what a long run meets: the server closing the stream
 * (a new watch continues from the last resourceVersion seen, so no event is lost or repeated),
 * a dropped connection (the same, after a pause), and 410 Gone, as an ERROR event or as the
 * response (a relist, delivered as LIST: the caller replaces what it knew). BOOKMARK events
 * only move the resourceVersion on.
 * @throws the last error after `maxFailures` failed connections in a row, or an ERROR event
 * other than 410 (a refused watch: RBAC, a namespace that is gone)
 */
export async function resilientWatch<T>(source: WatchSource<T>, onUpdate: (u: WatchUpdate<T>) => void, signal: AbortSignal, options: ResilientWatchOptions = {}): Promise<void> {
  const retryMs = options.retryMs ?? 500;
  const maxFailures = options.maxFailures ?? 8;
  let resourceVersion: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        const listed = await source.list();
        resourceVersion = listed.resourceVersion;
        onUpdate({ type: 'LIST', items: listed.items });
      }
      const attempt = new AbortController();
      const stop = () => attempt.abort();
      signal.addEventListener('abort', stop, { once: true });
      let gone = false;
      let events = 0;
      let refused: Error | undefined;
      try {
        await source.watch(
          resourceVersion,
          (type, object) => {
            if (attempt.signal.aborted) return;
            if (type === 'ERROR') {
              if (isGone(object)) gone = true;
              else refused = new Error(`the watch was refused: ${(object as { message?: string } | null)?.message ?? JSON.stringify(object)}`);
              attempt.abort();
              return;
            }
            failures = 0;
            events += 1;
            resourceVersion = resourceVersionOf(object) ?? resourceVersion;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') onUpdate({ type, object: object as T });
          },
          attempt.signal,
        );
      } finally {
        signal.removeEventListener('abort', stop);
      }
      if (refused) throw refused;
      if (gone) resourceVersion = undefined;
      // A stream the server closed at once, again and again, must not spin.
      else if (events === 0) await sleep(retryMs, undefined, { signal }).catch(() => undefined);
    } catch (err) {
      if (signal.aborted) return;
      if (isGone(err)) {
        resourceVersion = undefined;
        continue;
      }
      if (err instanceof Error && err.message.startsWith('the watch was refused')) throw err;
      failures += 1;
      if (failures >= maxFailures) throw err;
      await sleep(retryMs * 2 ** Math.min(failures - 1, 3), undefined, { signal }).catch(() => undefined);
    }
  }
}
