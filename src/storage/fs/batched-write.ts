import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** What one writev carries: large enough that system calls and thread-pool trips stop mattering. */
const BATCH_BYTES = 4 << 20;

/**
 * Writes a stream into `handle` from `position` on, in batches of about 4 MiB with one batch in
 * flight while the next fills. A socket yields 64 KiB chunks; written one by one (as a default
 * write stream does) each costs a system call and a round trip through libuv's thread pool, which
 * halves what a loopback upload reaches (bench/upload). Memory stays at two batches: the stream is
 * not read while a full batch waits for the one before it.
 * @returns the bytes written
 * @throws the body's error or the file's (ENOSPC), after the write in flight has ended
 */
export async function writeBatched(handle: FileHandle, position: number, body: Readable): Promise<number> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let at = position;
  let inFlight: Promise<void> = Promise.resolve();
  let failure: unknown;
  const flush = async () => {
    await inFlight;
    if (failure !== undefined) throw failure;
    const chunks = batch;
    const start = at;
    at += batchBytes;
    batch = [];
    batchBytes = 0;
    // Kept, not thrown here: the next flush (or the end) reports it, so no rejection goes unseen.
    inFlight = writeAll(handle, chunks, start).catch((err: unknown) => void (failure = err));
  };
  try {
    for await (const data of body) {
      // A body made with Readable.from(strings) yields strings; a socket, Buffers.
      const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
      if (chunk.length === 0) continue;
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= BATCH_BYTES) await flush();
    }
    await flush();
  } finally {
    await inFlight;
  }
  if (failure !== undefined) throw failure;
  return at - position;
}

/** writev until every byte is in: a regular file may take fewer bytes than asked (near a full disk). */
async function writeAll(handle: FileHandle, chunks: Buffer[], position: number): Promise<void> {
  let buffers = chunks;
  let at = position;
  while (buffers.length > 0) {
    const { bytesWritten } = await handle.writev(buffers, at);
    if (bytesWritten === 0) throw new Error(`the file took no bytes at ${at}`);
    at += bytesWritten;
    buffers = skipBytes(buffers, bytesWritten);
  }
}

function skipBytes(buffers: Buffer[], bytes: number): Buffer[] {
  let left = bytes;
  const rest: Buffer[] = [];
  for (const b of buffers) {
    if (left >= b.length) left -= b.length;
    else {
      rest.push(left > 0 ? b.subarray(left) : b);
      left = 0;
    }
  }
  return rest;
}
