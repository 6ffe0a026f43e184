import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultLayout, type Limits, type RunLayout } from '../domain/limits.js';
import type { Executor, RunResult } from './executor.js';

// Helpers of the executor conformance suite (a .case file: kept out of the build like the suite).

/** Limits of a suite run unless a test says otherwise: generous, so only the tested one bites. */
export const baseLimits: Limits = {
  wallTimeMs: 20_000,
  memoryBytes: 512 << 20,
  cpus: 1,
  pids: 64,
  outputBytes: 16 << 20,
  logBytes: 1 << 20,
  gpus: 0,
};

/** A finished suite run and what it logged. */
export interface SuiteRun {
  result: RunResult;
  log: string;
  /** Chunks handed to onLog, joined. */
  live: string;
  elapsedMs: number;
}

/** What a suite test may change about a run. */
export interface RunOptions {
  limits?: Partial<Limits>;
  env?: Record<string, string>;
  signal?: AbortSignal;
  data?: Record<string, string>;
  runtime?: string;
  runtimeDigest?: string;
  runtimeImage?: string;
  gpus?: readonly string[];
  /** Files of a host harness (mounted read-only at /holdout/harness), and its command instead of `python main.py`. */
  harness?: { files: Record<string, string>; command: string[] };
  codeReadOnly?: boolean;
  layout?: RunLayout;
  /** Folders made in the code folder before the run (the worker's mount points of a nested layout). */
  codeFolders?: string[];
}

/** Host processes whose command line contains `token`. */
export async function processesWith(token: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(token)) found.push(Number(entry));
  }
  return found;
}

/** Runs Python programs as main.py through an executor, each in fresh folders under `scratch`. */
export class SuiteHarness {
  constructor(
    private readonly executor: () => Executor,
    private readonly scratch: string,
  ) {}

  /** Runs `source` as main.py; the caller disposes the result. */
  async runPython(source: string, o: RunOptions = {}): Promise<SuiteRun> {
    const dir = path.join(this.scratch, randomUUID());
    const codeDir = path.join(dir, 'code');
    const dataDir = path.join(dir, 'data');
    await mkdir(codeDir, { recursive: true });
    await mkdir(dataDir);
    await writeFile(path.join(codeDir, 'main.py'), source);
    for (const [file, content] of Object.entries(o.data ?? {})) await writeFile(path.join(dataDir, file), content);
    for (const folder of o.codeFolders ?? []) await mkdir(path.join(codeDir, folder), { recursive: true });
    const harnessDir = path.join(dir, 'harness');
    if (o.harness) {
      await mkdir(harnessDir, { mode: 0o755 });
      for (const [file, content] of Object.entries(o.harness.files)) await writeFile(path.join(harnessDir, file), content, { mode: 0o644 });
    }
    const logPath = path.join(dir, 'log.txt');
    let live = '';
    const started = performance.now();
    const result = await this.executor().run({
      runId: `suite-${randomUUID()}`,
      runtime: o.runtime ?? 'host',
      ...(o.runtimeDigest === undefined ? {} : { runtimeDigest: o.runtimeDigest }),
      ...(o.runtimeImage === undefined ? {} : { runtimeImage: o.runtimeImage }),
      command: o.harness?.command ?? ['python', 'main.py'],
      codeDir,
      dataDir,
      ...(o.harness ? { harnessDir } : {}),
      ...(o.codeReadOnly ? { codeReadOnly: true } : {}),
      layout: o.layout ?? defaultLayout,
      limits: { ...baseLimits, ...o.limits },
      logPath,
      onLog: (chunk) => {
        live += chunk.toString('utf8');
      },
      ...(o.env === undefined ? {} : { env: o.env }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      ...(o.gpus === undefined ? {} : { gpus: o.gpus }),
    });
    const elapsedMs = performance.now() - started;
    return { result, log: await readFile(logPath, 'utf8'), live, elapsedMs };
  }

  /** Runs, hands the run to `check`, and always disposes it. */
  async withRun(source: string, o: RunOptions, check: (run: SuiteRun) => Promise<void> | void): Promise<void> {
    const run = await this.runPython(source, o);
    try {
      await check(run);
    } finally {
      await run.result.dispose();
    }
  }
}
