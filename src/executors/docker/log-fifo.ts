import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where the run finds the log pipe: its stdout and stderr are redirected there. */
export const logPipeInRun = '/dev/holdout-log';

/**
 * The pipe's buffer: 1 MiB instead of 64 KiB moves 2 GiB 2 to 4 times faster here (fewer wake-ups
 * of writer and reader). F_SETPIPE_SZ, which Node cannot call: Debian's python3 does, on the
 * pipe the executor holds open, and exits.
 */
const pipeBytes = 1 << 20;
const F_SETPIPE_SZ = 1031;

function growPipe(file: string): Promise<void> {
  return new Promise((resolve) => {
    const program = `import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)\nfcntl.fcntl(fd, ${F_SETPIPE_SZ}, ${pipeBytes})`;
    const child = spawn('/usr/bin/python3', ['-c', program, file], { env: {}, stdio: 'ignore' });
    // Best effort: without python3 the log is only slower.
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });
}

function mkfifo(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/mkfifo', ['-m', '0600', file], { env: {}, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mkfifo ${file} failed (exit ${code})`))));
  });
}

/**
 * A named pipe on the host that the run writes its stdout and stderr to, read by the executor as
 * the sandbox reads its pipes: at the kernel's speed (the engine's attach stream moves about
 * 30 MB/s through conmon here, so a run printing gigabytes would spend its time limit on logging).
 * @remarks The executor holds a write end of its own until the run has ended, so the read end
 * sees its end only then, not when the run closes or has not yet opened it.
 */
export class LogFifo {
  #socket: Socket | undefined;
  #keeper: number | undefined;
  #ended: Promise<void> = Promise.resolve();

  private constructor(readonly file: string) {}

  /** Makes the pipe in `dir` (root's), writable by anyone: the run's uid writes, nobody else sees it. */
  static async create(dir: string): Promise<LogFifo> {
    const file = path.join(dir, 'log.fifo');
    await mkfifo(file);
    await chmod(file, 0o622);
    return new LogFifo(file);
  }

  /**
   * Starts reading; `onData` gets every chunk, in order. Resolves once the pipe has its larger
   * buffer (start the run only then; the reading has begun already).
   */
  start(onData: (chunk: Buffer) => void): Promise<void> {
    // Non-blocking opens return at once (a blocking one would wait for the other end); the
    // socket owns the read end's descriptor from here on.
    const reader = openSync(this.file, constants.O_RDONLY | constants.O_NONBLOCK);
    this.#keeper = openSync(this.file, constants.O_WRONLY | constants.O_NONBLOCK);
    const socket = new Socket({ fd: reader, readable: true, writable: false });
    this.#socket = socket;
    socket.on('data', onData);
    this.#ended = new Promise((resolve) => {
      socket.on('end', resolve);
      socket.on('close', resolve);
      socket.on('error', () => resolve());
    });
    return growPipe(this.file);
  }

  /** After the run: closes the executor's write end and reads what is left, for up to `drainMs`. */
  async finish(drainMs = 5000): Promise<void> {
    if (this.#keeper !== undefined) closeSync(this.#keeper);
    this.#keeper = undefined;
    await Promise.race([this.#ended, sleep(drainMs)]);
    this.#socket?.destroy();
  }
}
