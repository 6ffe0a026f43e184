import type { Readable } from 'node:stream';

/**
 * Reads `body` until it ends or more than `limit` bytes have come: the chunks read, and the
 * iterator to read the rest with (a stream takes one iterator only).
 */
export async function readUpTo(body: Readable, limit: number): Promise<{ chunks: Buffer[]; ended: boolean; more: AsyncIterator<Buffer> }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const more = body[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const buffers: AsyncIterator<Buffer> = { next: async () => {
    const n = await more.next();
    return n.done ? n : { value: Buffer.isBuffer(n.value) ? n.value : Buffer.from(n.value) };
  } };
  while (size <= limit) {
    const next = await buffers.next();
    if (next.done) return { chunks, ended: true, more: buffers };
    chunks.push(next.value);
    size += next.value.length;
  }
  return { chunks, ended: false, more: buffers };
}
