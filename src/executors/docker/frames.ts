/**
 * Splits the Docker attach stream (Tty off) into payloads: each frame is an 8-byte header
 * (stream type, three zero bytes, a big-endian length) and that many bytes of stdout or stderr.
 * Payloads are handed on in arrival order, stdout and stderr interleaved like the sandbox's log.
 */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onPayload: (chunk: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      if (size > 0) this.onPayload(buf.subarray(8, 8 + size));
      buf = buf.subarray(8 + size);
    }
    // Copied so that a large chunk is not kept alive by a small remainder.
    this.#pending = Buffer.from(buf);
  }
}
