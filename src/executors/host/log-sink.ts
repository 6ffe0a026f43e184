import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** The line appended to a log file whose end was dropped. */
export function truncationMarker(capBytes: number): string {
  return `\n[holdout] log truncated after ${capBytes} bytes\n`;
}

/**
 * Writes a run's stdout and stderr, in arrival order, to one file and to a live listener, up to a
 * cap. Past the cap chunks are dropped, but the caller keeps reading the pipes so that the run
 * never blocks on a full pipe.
 */
export class LogSink {
  #bytes = 0;
  #truncated = false;
  #writes: Promise<unknown> = Promise.resolve();
  #failure: unknown = null;
  #closed: Promise<{ bytes: number; truncated: boolean }> | null = null;

  private constructor(
    private readonly file: FileHandle,
    private readonly capBytes: number,
    private readonly onLog: ((chunk: Buffer) => void) | undefined,
  ) {}

  /** Creates (or empties) the log file. */
  static async open(logPath: string, capBytes: number, onLog?: (chunk: Buffer) => void): Promise<LogSink> {
    return new LogSink(await open(logPath, 'w', 0o640), Math.max(0, capBytes), onLog);
  }

  /** Bytes kept so far. */
  get bytes(): number {
    return this.#bytes;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  /** Keeps what fits under the cap; never throws (a failure surfaces in `close`). */
  write(chunk: Buffer): void {
    const room = this.capBytes - this.#bytes;
    if (room <= 0) {
      if (chunk.length > 0) this.#truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.#truncated = true;
    this.#bytes += kept.length;
    // Writes are chained so the file keeps arrival order.
    this.#writes = this.#writes.then(() => this.file.write(kept)).catch((error: unknown) => {
      this.#failure ??= error;
    });
    if (this.onLog !== undefined) {
      try {
        this.onLog(kept);
      } catch (error) {
        this.#failure ??= error;
      }
    }
  }

  /**
   * Appends the truncation marker if needed and closes the file.
   * Idempotent.
   * @throws the first write or listener error: the log is the platform's, not the run's, fault.
   */
  close(): Promise<{ bytes: number; truncated: boolean }> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<{ bytes: number; truncated: boolean }> {
    await this.#writes;
    try {
      if (this.#failure === null && this.#truncated) await this.file.write(truncationMarker(this.capBytes));
    } finally {
      await this.file.close();
    }
    if (this.#failure !== null) throw this.#failure;
    return { bytes: this.#bytes, truncated: this.#truncated };
  }
}
