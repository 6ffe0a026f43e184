import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { releaseAligned, takeAligned } from './aligned-memory.js';

/** What one write through the page cache carries: large enough that system calls and thread-pool trips stop mattering. */
const BATCH_BYTES = 4 << 20;
/** What one direct write carries, and the size from which a body goes direct: 1 MiB writes are as fast as 4 MiB ones here, in a quarter of the memory. */
const DIRECT_BYTES = 1 << 20;
/** Direct I/O wants memory, file offsets and lengths on the device's logical block; 4 KiB covers 512 B and 4 KiB devices. */
const BLOCK = 4096;

/**
 * Writes a stream into `handle` from `position` on, in batches of 4 MiB
 * with one batch in flight while the next fills. A socket yields 64 KiB chunks; written one by one
 * (as a default write stream does) each costs a system call and a round trip through libuv's
 * thread pool, which halves what a loopback upload reaches (bench/upload).
 *
 * A body that reaches 1 MiB is large (an upload's chunk, a bundle), and from its first block
 * boundary on it goes to the disk with direct I/O (O_DIRECT), copied into page-aligned 1 MiB batches.
 * Through the page cache every written page is a fresh one: the kernel copies each byte into it
 * and, on a VM whose host takes free memory back, faults the page in first, which costs several
 * times the disk write itself (bench/upload); the file read once, much later, by a worker also
 * has no business pushing the cache of test features and the database out. The bytes before the
 * first boundary, the last partial block, small bodies, and file systems that refuse direct I/O
 * use the page cache. Memory stays at two batches: the stream is not read while a full batch waits
 * for the one before it.
 * @param options.direct false keeps every byte in the page cache (tests, the write-paths bench)
 * @returns the bytes written
 * @throws the body's error or the file's (ENOSPC), after the write in flight has ended
 */
export async function writeBatched(handle: FileHandle, position: number, body: Readable, options: { direct?: boolean } = {}): Promise<number> {
  const writer = new BatchWriter(handle, position, options.direct ?? true);
  try {
    for await (const data of body) {
      // A body made with Readable.from(strings) yields strings; a socket, Buffers.
      const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
      if (chunk.length > 0) await writer.push(chunk);
    }
    await writer.end();
  } finally {
    await writer.close();
  }
  return writer.at - position;
}

/** The direct path: a second handle opened with O_DIRECT, and two aligned halves, one filling while the other is written. */
interface Direct {
  handle: FileHandle;
  memory: Buffer;
  halves: [Buffer, Buffer];
  filling: 0 | 1;
  fill: number;
  /** The file system took the handle but not the writes (a device with larger blocks): the page cache takes the rest. */
  refused: boolean;
}

class BatchWriter {
  /** Where the next batch goes in the file. */
  at: number;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private direct?: Direct;
  private inFlight: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(private readonly handle: FileHandle, position: number, private tryDirect: boolean) {
    this.at = position;
  }

  async push(chunk: Buffer): Promise<void> {
    if (this.direct) return this.copyIn(chunk);
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
    if (this.tryDirect && this.chunkBytes >= DIRECT_BYTES) {
      // Decided once, before the first flush: nothing is in flight yet.
      this.tryDirect = false;
      this.direct = await openDirect(this.handle);
      if (this.direct) {
        // A direct write starts on a block boundary: the bytes before it go through the page cache.
        const headBytes = (BLOCK - (this.at % BLOCK)) % BLOCK;
        const [head, rest] = splitAt(this.chunks, headBytes);
        this.chunks = [];
        this.chunkBytes = 0;
        await writeAll(this.handle, head, this.at);
        this.at += headBytes;
        for (const c of rest) await this.copyIn(c);
        return;
      }
    }
    if (this.chunkBytes >= BATCH_BYTES) await this.flushChunks();
  }

  async end(): Promise<void> {
    if (this.direct) {
      if (this.direct.fill > 0) await this.flushDirect();
    } else await this.flushChunks();
    await this.inFlight;
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    await this.inFlight;
    if (!this.direct) return;
    // Direct writes report their errors as they end; the caller's handle reports the rest at its close.
    await this.direct.handle.close().catch(() => {});
    releaseAligned(this.direct.memory);
  }

  private async copyIn(chunk: Buffer): Promise<void> {
    const d = this.direct!;
    for (let from = 0; from < chunk.length; ) {
      const copied = chunk.copy(d.halves[d.filling], d.fill, from);
      from += copied;
      d.fill += copied;
      if (d.fill === DIRECT_BYTES) await this.flushDirect();
    }
  }

  /** Waits for the write in flight (which frees the other half), then starts this one's. */
  private async flushDirect(): Promise<void> {
    await this.inFlight;
    if (this.failure !== undefined) throw this.failure;
    const d = this.direct!;
    const data = d.halves[d.filling].subarray(0, d.fill);
    const start = this.at;
    this.at += d.fill;
    d.fill = 0;
    d.filling = d.filling === 0 ? 1 : 0;
    // Kept, not thrown here: the next flush (or the end) reports it, so no rejection goes unseen.
    this.inFlight = writeDirect(d, this.handle, data, start).catch((err: unknown) => void (this.failure = err));
  }

  private async flushChunks(): Promise<void> {
    await this.inFlight;
    if (this.failure !== undefined) throw this.failure;
    const chunks = this.chunks;
    const start = this.at;
    this.at += this.chunkBytes;
    this.chunks = [];
    this.chunkBytes = 0;
    this.inFlight = writeAll(this.handle, chunks, start).catch((err: unknown) => void (this.failure = err));
  }
}

/**
 * The same file opened once more, with O_DIRECT: through /proc, since Node cannot set the flag on
 * the caller's descriptor (no fcntl).
 * @returns the direct path, or undefined where there is none (not Linux, a file system without O_DIRECT, no aligned memory)
 */
async function openDirect(buffered: FileHandle): Promise<Direct | undefined> {
  if (typeof constants.O_DIRECT !== 'number') return undefined;
  const memory = takeAligned(2 * DIRECT_BYTES);
  if (!memory) return undefined;
  try {
    const handle = await open(`/proc/self/fd/${buffered.fd}`, constants.O_WRONLY | constants.O_DIRECT);
    return { handle, memory, halves: [memory.subarray(0, DIRECT_BYTES), memory.subarray(DIRECT_BYTES)], filling: 0, fill: 0, refused: false };
  } catch {
    releaseAligned(memory);
    return undefined;
  }
}

/** The whole blocks of `data` with direct I/O, what is left (the last partial block, a short write) through `buffered`. */
async function writeDirect(d: Direct, buffered: FileHandle, data: Buffer, position: number): Promise<void> {
  const whole = data.length - (data.length % BLOCK);
  let written = 0;
  if (!d.refused && whole > 0) {
    try {
      ({ bytesWritten: written } = await d.handle.write(data, 0, whole, position));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      d.refused = true;
    }
  }
  if (written < data.length) await writeAll(buffered, [data.subarray(written)], position + written);
}

/** writev until every byte is in: a regular file may take fewer bytes than asked (near a full disk). */
async function writeAll(handle: FileHandle, chunks: Buffer[], position: number): Promise<void> {
  let buffers = chunks;
  let at = position;
  while (buffers.length > 0) {
    const { bytesWritten } = await handle.writev(buffers, at);
    if (bytesWritten === 0) throw new Error(`the file took no bytes at ${at}`);
    at += bytesWritten;
    buffers = splitAt(buffers, bytesWritten)[1];
  }
}

/** The first `bytes` of `buffers` and the rest, without copying. */
function splitAt(buffers: Buffer[], bytes: number): [Buffer[], Buffer[]] {
  const head: Buffer[] = [];
  const rest: Buffer[] = [];
  let left = bytes;
  for (const b of buffers) {
    if (left >= b.length) head.push(b);
    else if (left === 0) rest.push(b);
    else {
      head.push(b.subarray(0, left));
      rest.push(b.subarray(left));
    }
    left = Math.max(0, left - b.length);
  }
  return [head, rest];
}
