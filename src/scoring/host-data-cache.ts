import type { BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ScoringError } from './scoring-error.js';

/** Reads a value from an open host file of `size` bytes. */
export type HostFileReader<T> = (handle: FileHandle, size: number) => Promise<T>;

interface Entry {
  /** The file's identity when it was read: a changed file is read again. */
  identity: string;
  value: unknown;
  bytes: number;
}

/** Default for {@link HostDataCache}'s budget: 1 GiB, about three competitions of ten million rows. */
export const defaultHostDataCacheBytes = 1 << 30;

/** What identifies a file's content without reading it: replacing or rewriting it changes one of these. */
function identityOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

/**
 * Parsed host files (submission formats, labels) kept in memory between submissions, so that a
 * worker reads a competition's files once rather than for every submission.
 *
 * @remarks An entry is keyed by what was read (a caller's key) and the file's path, and holds the
 * file's identity (device, inode, size, modification and change times) taken from the open
 * descriptor it was read through: a file changed since is read again. Least recently used entries
 * go first once the budget is passed; a value larger than the whole budget is not kept. Values are
 * shared between callers and must not be modified.
 */
export class HostDataCache {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  /** @param maxBytes - budget for the values' estimated sizes. @defaultValue {@link defaultHostDataCacheBytes} */
  constructor(readonly maxBytes = defaultHostDataCacheBytes) {}

  /** Estimated bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The value `read` makes of the file at `path`, from memory when the file has not changed.
   * @param what - names the file in messages ("labels", "submission format").
   * @param sizeOf - estimated bytes of a value, for the budget.
   * @throws ScoringError when the file cannot be opened or is not a regular file; whatever `read` throws.
   */
  async load<T>(path: string, what: string, key: string, read: HostFileReader<T>, sizeOf: (value: T) => number): Promise<T> {
    const entryKey = `${key}\0${path}`;
    return withHostFile(path, what, async (handle, stats) => {
      const identity = identityOf(stats);
      const entry = this.#entries.get(entryKey);
      if (entry !== undefined) {
        this.#entries.delete(entryKey);
        if (entry.identity === identity) {
          this.#entries.set(entryKey, entry); // most recently used last
          return entry.value as T;
        }
        this.#bytes -= entry.bytes;
      }
      const value = await read(handle, Number(stats.size));
      const bytes = sizeOf(value);
      if (bytes <= this.maxBytes) {
        this.#entries.set(entryKey, { identity, value, bytes });
        this.#bytes += bytes;
        for (const [oldest, { bytes: freed }] of this.#entries) {
          if (this.#bytes <= this.maxBytes) break;
          this.#entries.delete(oldest);
          this.#bytes -= freed;
        }
      }
      return value;
    });
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

/**
 * Opens a host file, runs `use` on it and closes it.
 * @throws ScoringError `${what} ${path}: …` when it cannot be opened or is not a regular file.
 */
export async function withHostFile<T>(path: string, what: string, use: (handle: FileHandle, stats: BigIntStats) => Promise<T>): Promise<T> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new ScoringError(`${what} ${path}: ${(error as Error).message}`);
  }
  try {
    // Nanosecond times: a file rewritten within a millisecond still reads as changed.
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile()) throw new ScoringError(`${what} ${path}: not a regular file`);
    return await use(handle, stats);
  } finally {
    await handle.close();
  }
}
