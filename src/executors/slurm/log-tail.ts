import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { LogSink } from '../host/log-sink.js';

/**
 * Follows the log file that the job's sandbox writes on the shared file system and hands what
 * is new to the worker's own LogSink (the run's log file and live listener). Polled, because
 * inotify does not see writes made on another NFS client. The node's sandbox already capped the
 * file and appended its truncation marker past the cap, so the worker's sink, with the same cap,
 * keeps exactly the node's bytes, drops that marker and writes the same one itself.
 */
export class LogTail {
  #file: FileHandle | undefined;
  #offset = 0;
  readonly #buffer = Buffer.alloc(1 << 16);

  constructor(
    private readonly logPath: string,
    private readonly sink: LogSink,
  ) {}

  /** Reads everything appended since the last call (nothing while the job has not opened the file). */
  async poll(): Promise<void> {
    this.#file ??= await open(this.logPath, 'r').catch(() => undefined);
    if (this.#file === undefined) return;
    for (;;) {
      const { bytesRead } = await this.#file.read(this.#buffer, 0, this.#buffer.length, this.#offset);
      if (bytesRead === 0) return;
      this.#offset += bytesRead;
      this.sink.write(Buffer.from(this.#buffer.subarray(0, bytesRead)));
    }
  }

  async close(): Promise<void> {
    await this.#file?.close();
    this.#file = undefined;
  }
}
