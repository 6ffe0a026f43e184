import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './holdout-server.js';

/** A `holdout worker` child process, as an operator would start it. */
export interface WorkerProcess {
  proc: ChildProcess;
  /** Its worker id (from its "worker started" log line). */
  id: string;
  /** Its log records so far (pino JSON lines). */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<number | NodeJS.Signals>;
  /** The last few KiB of its stderr. */
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Spawns `node --import tsx src/cli/main.ts worker` against a database and data folder, with
 * `env` on top (HOLDOUT_* of the test process itself are not passed on). Resolves once the
 * worker has registered and started claiming.
 */
export async function spawnWorker(opts: {
  dataDir: string;
  /** The database of a database worker; none for a worker of the HTTP API (its env names server and token). */
  databaseUrl?: string;
  env?: Record<string, string>;
  concurrency?: number;
  /** A command that runs the worker, e.g. `ip netns exec NAME` to put it on another network. */
  wrap?: readonly string[];
}): Promise<WorkerProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOLDOUT_')));
  const argv = [process.execPath, '--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts'), 'worker', '--concurrency', String(opts.concurrency ?? 1)];
  const [file = process.execPath, ...args] = [...(opts.wrap ?? []), ...argv];
  const proc = spawn(
    file,
    args,
    {
      cwd: repoRoot,
      env: {
        ...inherited,
        HOLDOUT_DATA_DIR: opts.dataDir,
        ...(opts.databaseUrl ? { HOLDOUT_DATABASE_URL: opts.databaseUrl } : {}),
        HOLDOUT_LOG_LEVEL: 'info',
        HOLDOUT_POLL_MS: '200',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = once(proc, 'exit').then(([code, signal]) => (code ?? signal) as number | NodeJS.Signals);
  const started = new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        logs.push(record);
        if (record.msg === 'worker started') resolve(String(record.worker));
      } catch {
        // not a log record
      }
    });
    void exited.then((how) => reject(new Error(`worker exited (${how}) before it started: ${stderr}`)));
  });
  const timeout = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  try {
    const id = await started;
    return { proc, id, logs, exited, kill: (signal) => proc.kill(signal), stderr: () => stderr };
  } finally {
    clearTimeout(timeout);
  }
}
