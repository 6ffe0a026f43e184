import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ScoringProgram } from '../../domain/competition.js';
import type { ProgramRunContext, ScoreOutcome, Scores } from '../score-types.js';
import { programAliases, programArgv, programLayout } from './program-layout.js';
import { readProgramScores } from './read-program-scores.js';
import { describeProgramFailure, logTail } from './run-scoring-program.js';

/** What a raw scoring run reads: the run's whole output folder and the labels as the host gave them. */
export interface RawScoreInput {
  /** Host folder of what the run wrote, or of a result submission's files. Hostile. */
  resultsDir: string;
  /** Host path of the labels: a file, or a folder copied whole. */
  labelsPath: string;
  /** Largest total of the results copied. */
  maxBytes: number;
  metrics: readonly string[];
  program: ProgramRunContext;
}

/**
 * Scores with a Codabench scoring program as Codabench runs it: `$input/res` holds every file
 * the run wrote (or the result submission's files), `$input/ref` the labels file or folder, and
 * the program writes `scores.json` or `scores.txt` to `$output`. One run on the whole reference
 * set; its scores count for the public and the private leaderboard alike.
 * @returns the scores; `invalid_output` when the results hold a link, a special file or too
 * many bytes; `scoring_error` (with the program's log for the host) when the program fails.
 * @throws when the executor fails (the worker retries).
 */
export async function runRawScoringProgram(input: RawScoreInput, program: ScoringProgram): Promise<ScoreOutcome> {
  const context = input.program;
  const folder = path.join(context.workDir, 'scoring-raw');
  const inputDir = path.join(folder, 'input');
  for (const dir of [folder, inputDir]) await mkdir(dir, { mode: 0o755 });
  const copied = await copyPlainTree(input.resultsDir, path.join(inputDir, 'res'), { left: input.maxBytes });
  if (typeof copied === 'string') return { ok: false, reason: 'invalid_output', message: copied };
  const refStats = await lstat(input.labelsPath);
  const ref = path.join(inputDir, 'ref');
  if (refStats.isDirectory()) await copyPlainTree(input.labelsPath, ref, { left: Number.MAX_SAFE_INTEGER });
  else {
    await mkdir(ref, { mode: 0o755 });
    await copyFile(input.labelsPath, path.join(ref, path.basename(input.labelsPath)));
    await chmod(path.join(ref, path.basename(input.labelsPath)), 0o644);
  }

  const logPath = path.join(folder, 'scoring-log.txt');
  const runtime = program.runtime ?? context.runtime;
  const sameRuntime = runtime === context.runtime;
  const run = await context.executor.run({
    runId: `${context.runId}-score`,
    runtime,
    ...(sameRuntime && context.runtimeDigest !== undefined ? { runtimeDigest: context.runtimeDigest } : {}),
    ...(sameRuntime && context.runtimeImage !== undefined ? { runtimeImage: context.runtimeImage } : {}),
    command: programArgv(program.command),
    codeDir: path.join(context.bundleDir, program.dir),
    dataDir: inputDir,
    layout: programLayout,
    aliases: programAliases,
    limits: program.limits,
    logPath,
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  });
  try {
    const failure = describeProgramFailure(run, program);
    const rowsKey = program.rows?.key;
    const wanted = rowsKey === undefined || input.metrics.includes(rowsKey) ? input.metrics : [...input.metrics, rowsKey];
    const read = failure === undefined ? await readProgramScores(run.outputDir, wanted) : { ok: false as const, message: failure };
    const short = read.ok && program.rows ? await tooFewRows(read.scores, program.rows, input.labelsPath) : undefined;
    if (!read.ok || short !== undefined) {
      const problem = read.ok ? short : read.message;
      const hostLog = `[scoring program: ${problem}]\n${await logTail(logPath)}`;
      return { ok: false, reason: 'scoring_error', message: `the competition's scoring program failed: ${problem}`, hostLog };
    }
    const scores: Scores = Object.fromEntries(Object.entries(read.scores).filter(([k]) => input.metrics.includes(k)));
    const rows = rowsKey === undefined ? 0 : (read.scores[rowsKey] ?? 0);
    return { ok: true, public: scores, private: { ...scores }, rows };
  } finally {
    await run.dispose();
  }
}

/**
 * Why the rows the program reports scoring fall short of the labels', or undefined when they do
 * not: a program that skipped predictions it could not match would otherwise give a score on
 * part of the reference set.
 */
async function tooFewRows(scores: Scores, rows: NonNullable<ScoringProgram['rows']>, labelsPath: string): Promise<string | undefined> {
  const reported = scores[rows.key] as number;
  if (!Number.isInteger(reported) || reported < 0) return `it reports ${reported} in "${rows.key}", not a count of rows`;
  const expected = rows.expected ?? (await csvDataRows(labelsPath));
  if (reported < expected) return `it reports scoring ${reported} rows in "${rows.key}", fewer than the ${expected} rows of the labels`;
  return undefined;
}

/**
 * The data rows of a labels CSV file (lines after the header, blank ones not counted). A quoted
 * field with a line break inside would count twice: labels files of ids and values have none.
 */
export async function csvDataRows(file: string): Promise<number> {
  let lines = 0;
  let blank = true;
  const handle = await open(file, constants.O_RDONLY);
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      for (const byte of chunk as Buffer) {
        if (byte === 0x0a) {
          if (!blank) lines++;
          blank = true;
        } else if (byte !== 0x0d && byte !== 0x20 && byte !== 0x09) blank = false;
      }
    }
  } finally {
    await handle.close();
  }
  if (!blank) lines++;
  return Math.max(0, lines - 1);
}

/**
 * Copies folders and regular files only, never following a link, world-readable for the
 * program's unprivileged user.
 * @returns a message for the participant when `from` holds anything else or more than `budget.left` bytes.
 */
async function copyPlainTree(from: string, to: string, budget: { left: number }, shown = ''): Promise<string | undefined> {
  await mkdir(to, { mode: 0o755 });
  await chmod(to, 0o755);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const name = shown === '' ? entry.name : `${shown}/${entry.name}`;
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) {
      const problem = await copyPlainTree(source, path.join(to, entry.name), budget, name);
      if (problem !== undefined) return problem;
    } else if (entry.isFile()) {
      const handle = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const stats = await handle.stat();
        if (!stats.isFile()) return `"${name}" in the results is not a regular file`;
        budget.left -= stats.size;
        if (budget.left < 0) return `the results are larger than the output limit (at "${name}")`;
        const out = await open(path.join(to, entry.name), 'wx', 0o644);
        try {
          for await (const chunk of handle.createReadStream({ autoClose: false })) await out.write(chunk as Buffer);
        } finally {
          await out.close();
        }
      } finally {
        await handle.close();
      }
    } else {
      return `"${name}" in the results is ${entry.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; write plain files only`;
    }
  }
  return undefined;
}
