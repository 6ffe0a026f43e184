import { constants } from 'node:fs';
import { chmod, mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ScoringProgram } from '../../domain/competition.js';
import type { RunResult } from '../../executors/executor.js';
import { withHostFile } from '../host-data-cache.js';
import { formatBytesExact } from '../../domain/format-bytes.js';
import { PRIVATE, PUBLIC, type Labels } from '../read-labels.js';
import type { ProgramRunContext, ScoreInput, ScoreOutcome, Scores } from '../score-types.js';
import type { SubmissionFormat } from '../submission-format.js';
import { programAliases, programArgv, programLayout } from './program-layout.js';
import { readProgramScores } from './read-program-scores.js';
import { writePartFiles } from './write-part-files.js';

/** Most of a scorer's log returned for the host: its end, where the error usually is. */
export const maxHostLogBytes = 64 << 10;

/** The validated predictions, still open. */
export interface OpenedPredictionsFile {
  handle: FileHandle;
  size: number;
}

const parts = [
  ['public', PUBLIC],
  ['private', PRIVATE],
] as const;

/**
 * Scores validated predictions with the competition's scoring program, once per part of the
 * labels, so that a program that knows nothing of public and private parts gives both scores.
 *
 * Each run gets the Codabench layout: the program folder (a writable copy) at `$program`, a
 * read-only `$input` holding `ref/<labels file>` and `res/<predictions file>` with that part's
 * rows only (header first, rows as written), and an empty `$output` where the program writes
 * `scores.json` or `scores.txt`. A part without rows is not run and has no scores.
 * @returns the configured metrics per part, or `scoring_error` (a crash, a limit, no or an invalid
 * scores file, a configured metric missing) with the end of the program's log in `hostLog`.
 * @throws when the executor fails (the platform's fault: the worker retries).
 */
export async function runScoringProgram(
  input: ScoreInput,
  program: ScoringProgram,
  format: SubmissionFormat,
  labels: Labels,
  predictions: OpenedPredictionsFile,
): Promise<ScoreOutcome> {
  const context = input.program;
  if (context === undefined) throw new Error('a competition with a scoring program needs ScoreInput.program to run it');
  const present = parts.filter(([, part]) => labels.parts.includes(part));
  const folders = new Map(present.map(([name, part]) => [part, path.join(context.workDir, `scoring-${name}`)]));
  const refName = path.basename(input.labelsPath);
  const resName = path.basename(input.predictionsPath);
  for (const folder of folders.values()) {
    for (const dir of [folder, path.join(folder, 'input'), path.join(folder, 'input', 'ref'), path.join(folder, 'input', 'res')]) {
      await mkdir(dir);
      await chmod(dir, 0o755); // the program runs as an unprivileged user
    }
  }
  const outputs = (sub: string, name: string) => new Map([...folders].map(([part, folder]) => [part, path.join(folder, 'input', sub, name)]));
  await withHostFile(input.labelsPath, 'labels', (handle, stats) =>
    writePartFiles({ handle, size: Number(stats.size), idColumn: input.idColumn, outputs: outputs('ref', refName) }, format.index, labels.parts),
  );
  const idColumn = format.header[format.idColumn] as string;
  await writePartFiles({ ...predictions, idColumn, outputs: outputs('res', resName) }, format.index, labels.parts);

  const metrics = [input.scoring.primary.metric, ...input.scoring.extra.map((m) => m.metric)];
  const scores: Record<'public' | 'private', Scores> = { public: {}, private: {} };
  for (const [name, part] of present) {
    const folder = folders.get(part) as string;
    const logPath = path.join(folder, 'scoring-log.txt');
    const runtime = program.runtime ?? context.runtime;
    const sameRuntime = runtime === context.runtime;
    const digest = sameRuntime ? context.runtimeDigest : undefined;
    const image = sameRuntime ? context.runtimeImage : undefined;
    const run = await context.executor.run({
      runId: `${context.runId}-score-${name}`,
      runtime,
      ...(digest === undefined ? {} : { runtimeDigest: digest }),
      ...(image === undefined ? {} : { runtimeImage: image }),
      command: programArgv(program.command),
      codeDir: path.join(context.bundleDir, program.dir),
      dataDir: path.join(folder, 'input'),
      layout: programLayout,
      aliases: programAliases,
      limits: program.limits,
      logPath,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    try {
      const failure = describeProgramFailure(run, program);
      const read = failure === undefined ? await readProgramScores(run.outputDir, metrics) : { ok: false as const, message: failure };
      if (!read.ok) {
        const hostLog = `[scoring program, ${name} part: ${read.message}]\n${await logTail(logPath)}`;
        return { ok: false, reason: 'scoring_error', message: `the competition's scoring program failed on the ${name} part: ${read.message}`, hostLog };
      }
      scores[name] = read.scores;
    } finally {
      await run.dispose();
    }
  }
  return { ok: true, public: scores.public, private: scores.private, rows: format.index.size };
}

/** Why a scoring run gave no scores to read, or undefined when it exited 0. Pure. */
export function describeProgramFailure(run: Pick<RunResult, 'outcome' | 'exitCode' | 'signal'>, program: Pick<ScoringProgram, 'limits'>): string | undefined {
  switch (run.outcome) {
    case 'timeout':
      return `it passed its time limit of ${program.limits.wallTimeMs / 1000} s`;
    case 'out_of_memory':
      return `it used more than its memory limit of ${formatBytesExact(program.limits.memoryBytes)}`;
    case 'cancelled':
      return 'it was cancelled';
    case 'exited':
      break;
  }
  if (run.exitCode === 0) return undefined;
  return run.exitCode === null ? `it was killed by ${run.signal ?? 'a signal'}` : `it exited with code ${run.exitCode}`;
}

/** The last {@link maxHostLogBytes} of a run's log (the file the executor wrote for us). */
export async function logTail(logPath: string): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(logPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return '(no log)';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxHostLogBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return (size > length ? '…' : '') + buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
