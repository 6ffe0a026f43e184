import { isUtf8 } from 'node:buffer';

/** The stream held a NUL byte or invalid UTF-8 at `offset` (bytes from the start). */
export class NotTextError extends Error {
  override name = 'NotTextError';
  constructor(readonly offset: number, readonly byte: number) {
    super(`byte 0x${byte.toString(16).padStart(2, '0')} at offset ${offset} is not UTF-8 text`);
  }
}

/**
 * Checks a byte stream, chunk by chunk, for NUL bytes and invalid UTF-8.
 * @remarks A CSV parser would silently turn invalid UTF-8 into U+FFFD; checking the bytes lets a
 * binary file be named as such. A multi-byte sequence cut by a chunk boundary is carried to the
 * next chunk.
 */
export class Utf8Check {
  #offset = 0;
  #carry: Buffer = Buffer.alloc(0);

  /**
   * Checks the next chunk whole.
   * @throws NotTextError at the first NUL byte or invalid sequence.
   */
  check(chunk: Buffer): void {
    const joined = this.#carry.length === 0 ? chunk : Buffer.concat([this.#carry, chunk]);
    const start = this.#offset - this.#carry.length;
    const end = completeEnd(joined);
    const body = joined.subarray(0, end);
    if (body.indexOf(0) !== -1 || !isUtf8(body)) {
      const bad = firstInvalid(body);
      throw new NotTextError(start + bad, body[bad] as number);
    }
    this.#carry = Buffer.from(joined.subarray(end));
    this.#offset += chunk.length;
  }

  /**
   * Ends the stream.
   * @throws NotTextError when it ends inside a multi-byte sequence.
   */
  finish(): void {
    if (this.#carry.length > 0) throw new NotTextError(this.#offset - this.#carry.length, this.#carry[0] as number);
  }
}

/** Length of `bytes` without a trailing, possibly incomplete, multi-byte sequence. */
function completeEnd(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] as number;
    if (byte < 0x80) return bytes.length; // ASCII: nothing pending
    if (byte >= 0xc0) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return needed > back ? bytes.length - back : bytes.length;
    }
  }
  return bytes.length;
}

/** Offset of the first NUL or invalid UTF-8 byte (only called once something is wrong). */
function firstInvalid(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i] as number;
    if (byte === 0) return i;
    if (byte < 0x80) {
      i++;
      continue;
    }
    const length = byte >= 0xc2 && byte <= 0xdf ? 2 : byte >= 0xe0 && byte <= 0xef ? 3 : byte >= 0xf0 && byte <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length || !isUtf8(bytes.subarray(i, i + length))) return i;
    i += length;
  }
  return Math.max(0, bytes.length - 1);
}
