import type { Readable } from 'node:stream';

/** Raised by `get` and `stat` callers that need the blob to exist. */
export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob not found: ${key}`);
    this.name = 'BlobNotFoundError';
  }
}

/**
 * Where submissions, logs, outputs and competition bundles live. Keys are "/"-separated paths
 * without leading slash or "..". Bodies are streams: an adapter never holds a whole blob in memory.
 */
export interface BlobStore {
  readonly name: string;
  /**
   * Writes the whole stream, then makes the blob visible at once (no half-written blob is readable).
   * A body that fails, even before the store reads it, rejects the put and stores nothing.
   * @remarks Puts of one key at the same time leave the whole body of one that succeeded; the others
   * may fail (Azure refuses a block list whose blocks another put's commit discarded).
   */
  put(key: string, body: Readable): Promise<{ bytes: number }>;
  /**
   * The blob, or the bytes `range.start` (inclusive) to `range.end` (exclusive) of it.
   * @remarks A range past the end is cut at the end. @throws BlobNotFoundError
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of the blob, or undefined when there is none. */
  stat(key: string): Promise<{ bytes: number } | undefined>;
  /** Removes the blob; a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Keys under a prefix, in no particular order.
   * @remarks The prefix names a folder: "a" and "a/" list "a/b" but not "ab"; "" lists every key.
   */
  list(prefix: string): AsyncIterable<string>;
  /**
   * Reaches the store with its credentials, so that a wrong key or address stops a server or
   * worker at start, not at the first upload or claim. @throws Error saying what to check
   */
  check?(): Promise<void>;
  /**
   * A time-limited, read-only URL a browser can fetch directly, where the adapter supports it.
   * `downloadName`: the file name the response offers to save as (Content-Disposition).
   */
  /**
   * Makes `key` the concatenation of the blobs `parts`, in order, and removes the parts, where the
   * adapter can do so without reading them through Holdout (the fs store moves and appends files).
   * Without it, callers stream the parts into a `put`.
   */
  concat?(key: string, parts: readonly string[]): Promise<{ bytes: number }>;
  /**
   * Writes the stream into the blob from byte `offset` on, creating the blob; the blob then ends
   * where the stream ended (bytes beyond are cut off). A stream that fails leaves the blob cut at
   * `offset`. Not atomic, so only for staging blobs that their one writer reads: the resumable
   * upload's file, which then becomes its blob by a `concat` of that one part (a rename in the fs
   * store), with no byte copied. Adapters whose blobs cannot be written in place leave it out.
   */
  writeAt?(key: string, offset: number, body: Readable): Promise<{ bytes: number }>;
  signedUrl?(key: string, ttlSeconds: number, options?: { downloadName?: string }): Promise<string>;
}

/** Bytes `start` (inclusive) to `end` (exclusive) of a blob. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Keeps a body's error until the store reads the body. A file stream that cannot be opened fails
 * at once; while the store still awaits a folder or a connection nothing listens, and that error
 * would end the process. Reading the body later throws it (`pipeline` and iterators check
 * `readable.errored`).
 */
export function holdBodyErrors(body: Readable): void {
  body.on('error', () => {});
}
