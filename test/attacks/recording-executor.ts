import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Executor, RunResult, RunSpec } from '../../src/executors/executor.js';

/** One thing a run left in its output folder, as the host sees it (never following links). */
export interface OutputEntry {
  /** Relative to the output folder. */
  name: string;
  kind: 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device';
  /** st_mode, permission and set-id bits included. */
  mode: number;
  size: number;
  /** Regular files up to `maxContentBytes`: what the run wrote. */
  content?: Buffer;
}

/** What the recorder kept of one finished run. */
export interface RecordedRun {
  spec: RunSpec;
  result: Pick<RunResult, 'outcome' | 'exitCode' | 'signal' | 'wallMs' | 'logBytes' | 'logTruncated'>;
  output: OutputEntry[];
  startedAt: number;
  endedAt: number;
}

const maxContentBytes = 1 << 20;
const maxEntries = 2000;

function kindOf(mode: number): OutputEntry['kind'] {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFDIR:
      return 'dir';
    case constants.S_IFLNK:
      return 'symlink';
    case constants.S_IFIFO:
      return 'fifo';
    case constants.S_IFSOCK:
      return 'socket';
    case constants.S_IFCHR:
      return 'char-device';
    case constants.S_IFBLK:
      return 'block-device';
    default:
      return 'file';
  }
}

/** Lists a hostile output folder with lstat, reading small regular files through O_NOFOLLOW. */
async function snapshot(dir: string, prefix = '', into: OutputEntry[] = []): Promise<OutputEntry[]> {
  for (const name of await readdir(dir)) {
    if (into.length >= maxEntries) break;
    const full = path.join(dir, name);
    const st = await lstat(full);
    const entry: OutputEntry = { name: prefix + name, kind: kindOf(st.mode), mode: st.mode, size: st.size };
    into.push(entry);
    if (entry.kind === 'dir') await snapshot(full, `${entry.name}/`, into);
    if (entry.kind === 'file' && st.size <= maxContentBytes) {
      const fh = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        entry.content = await fh.readFile();
      } finally {
        await fh.close();
      }
    }
  }
  return into;
}

/**
 * Wraps the real executor and keeps, per run, what the run left in its output folder before the
 * worker disposes of it: the attack tests check outputs for canaries, devices and set-id files.
 * It changes nothing about the run.
 */
export class RecordingExecutor implements Executor {
  readonly name: string;
  readonly runs: RecordedRun[] = [];

  constructor(private readonly inner: Executor) {
    this.name = inner.name;
  }

  check(): Promise<void> {
    return this.inner.check();
  }

  async run(spec: RunSpec): Promise<RunResult> {
    const startedAt = Date.now();
    const result = await this.inner.run(spec);
    const endedAt = Date.now();
    const output = result.outcome === 'cancelled' ? [] : await snapshot(result.outputDir).catch(() => []);
    const { outcome, exitCode, signal, wallMs, logBytes, logTruncated } = result;
    this.runs.push({ spec, result: { outcome, exitCode, signal, wallMs, logBytes, logTruncated }, output, startedAt, endedAt });
    return result;
  }

  /** The runs of one submission (its run ids start with the submission id). */
  runsOf(submissionId: string): RecordedRun[] {
    return this.runs.filter((r) => r.spec.runId.startsWith(`${submissionId}-`));
  }
}
