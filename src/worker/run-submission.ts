import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isZip } from '../archive/is-zip.js';
import { extractZip } from '../archive/safe-unzip.js';
import type { StoredCompetition } from '../db/competitions-repo.js';
import type { CompetitionConfig } from '../domain/competition.js';
import type { SubmissionRow } from '../db/schema.js';
import type { SubmissionResult } from '../db/submissions-repo.js';
import type { RunLayout } from '../domain/limits.js';
import type { Executor, RunResult } from '../executors/executor.js';
import { linkedOutputFolder } from '../executors/output-path.js';
import type { BlobStore } from '../storage/blob-store.js';
import { logVisibility } from '../domain/log-visibility.js';
import { codabenchIngestionAliases } from '../domain/harness.js';
import { phaseConfig, takesResults } from '../domain/phases.js';
import { describeRunFailure } from './describe-run-failure.js';
import { harnessEnvironment, prepareHarnessFolder } from './harness-folder.js';
import { keepPredictions } from './kept-predictions.js';
import { runData, type ScoreContext, scoreOutputs } from './score-outputs.js';

export interface RunContext {
  blobs: BlobStore;
  executor: Executor;
  /** Local folder of the competition's bundle files. */
  bundleDir: string;
  /** The run's features folder when not the bundle's own copy (a mounted data image, a host folder). */
  featuresDir?: string;
  /** Empty folder for this attempt; removed by the caller. */
  workDir: string;
  limits: { maxUnpackedBytes: number; maxFiles: number };
  signal: AbortSignal;
  /** Host GPUs assigned to this attempt, as many as the competition's `limits.gpus`. */
  gpus?: readonly string[];
  /** Called once the run has ended and scoring begins. */
  onScoring: () => Promise<void>;
  onLog?: (chunk: Buffer) => void;
}

/**
 * One attempt at a submission: fetch → unpack → run → keep the log → validate and score.
 * Returns what to record; throws only when the platform failed (the caller retries).
 */
export async function runSubmission(
  // Only what it reads, so `holdout test-submission` runs the very same code on a local smoke test.
  sub: Pick<SubmissionRow, 'id' | 'kind' | 'zip_key' | 'attempts'> & { phase?: string },
  competition: Pick<StoredCompetition, 'config'>,
  ctx: RunContext,
): Promise<SubmissionResult | 'cancelled'> {
  // What the submission's phase owns (data, limits, logs...) replaces the competition's.
  const config = sub.phase === undefined ? competition.config : phaseConfig(competition.config, sub.phase);
  const data = runData(config, sub.kind);

  const zipFile = path.join(ctx.workDir, 'submission.zip');
  const codeDir = path.join(ctx.workDir, 'code');
  const logPath = path.join(ctx.workDir, 'log.txt');
  await pipeline(await ctx.blobs.get(sub.zip_key), createWriteStream(zipFile));
  await mkdir(codeDir);
  // A scoring program runs in the competition's runtime, whatever runtime the phase's code runs in.
  const scoring = { scoringRuntime: competition.config };
  if (sub.phase !== undefined && takesResults(config, sub.phase)) return scoreResults(sub, config, zipFile, codeDir, { ...ctx, ...scoring });
  await extractZip(zipFile, codeDir, { maxBytes: ctx.limits.maxUnpackedBytes, maxFiles: ctx.limits.maxFiles });
  // The bundle loader requires test features of every phase that takes code.
  if (data.features === undefined) throw new Error(`phase "${sub.phase ?? ''}" runs code but has no test features`);
  await makeMountPoints(codeDir, config.layout);
  const harness = config.harness;
  const harnessDir = path.join(ctx.workDir, 'harness');
  if (harness) await prepareHarnessFolder(ctx.bundleDir, harness, harnessDir);

  const run: RunResult = await ctx.executor.run({
    runId: `${sub.id}-${sub.attempts}`,
    runtime: config.runtime,
    ...(config.runtimeDigest === undefined ? {} : { runtimeDigest: config.runtimeDigest }),
    ...(config.runtimeImage === undefined ? {} : { runtimeImage: config.runtimeImage }),
    // A harness runs instead of the entry point and drives the participant's code.
    command: harness ? harness.command : config.entrypoint,
    codeDir,
    // Codabench ingestion programs hard-code /app paths: a harness sees its folders there too.
    ...(harness ? { harnessDir, codeReadOnly: !harness.writableCode, aliases: codabenchIngestionAliases } : {}),
    dataDir: ctx.featuresDir ?? path.join(ctx.bundleDir, data.features),
    layout: config.layout,
    limits: config.limits,
    ...(ctx.gpus ? { gpus: ctx.gpus } : {}),
    env: {
      HOLDOUT_DATA: config.layout.data,
      HOLDOUT_OUTPUT: config.layout.output,
      HOLDOUT_SMOKE: data.smoke ? '1' : '0',
      ...(harness ? harnessEnvironment(harness, config.layout) : {}),
    },
    logPath,
    signal: ctx.signal,
    ...(ctx.onLog ? { onLog: ctx.onLog } : {}),
  });
  try {
    if (run.outcome === 'cancelled') return 'cancelled';
    const logKey = `logs/${sub.id}.txt`;
    await ctx.blobs.put(logKey, createReadStream(logPath));
    const runtime = { name: config.runtime, digest: config.runtimeDigest ?? null, image: config.runtimeImage ?? null };
    const usage = run.usage ?? { wallMs: run.wallMs };
    const base = { runMs: run.wallMs, usage, exitCode: run.exitCode, logKey, logBytes: run.logBytes, logTruncated: run.logTruncated, runtime };

    // A log line in the message is part of the log: shown only where the competition shows logs.
    const showsLog = logVisibility(config.logs, sub.kind) !== 'reason-only';
    const tail = await logEnd(logPath);
    const failure = describeRunFailure(run, config, showsLog ? lastLine(tail) : undefined, { tail, shown: showsLog });
    if (failure) return { ...base, status: 'failed', ...failure };

    await ctx.onScoring();
    if (config.scoring.program?.input === 'raw') {
      const scored = await scoreOutputs(sub, config, data, { resultsDir: run.outputDir }, { ...ctx, ...scoring, showsLog });
      return scored === 'cancelled' ? scored : { ...base, ...scored };
    }
    const linked = await linkedOutputFolder(run.outputDir, config.predictionsFile);
    if (linked) return { ...base, status: 'failed', reason: 'invalid_output', message: linked };
    const predictions = path.join(run.outputDir, config.predictionsFile);
    // Kept so that a host can re-score (after fixing the labels) without running the code again.
    await keepPredictions(ctx.blobs, sub.id, predictions, config.limits.outputBytes);
    const scored = await scoreOutputs(sub, config, data, predictions, { ...ctx, ...scoring, showsLog });
    return scored === 'cancelled' ? scored : { ...base, ...scored };
  } finally {
    await run.dispose();
  }
}

/**
 * A result submission: the uploaded zip's files (or the uploaded file itself, as the predictions
 * file) are what a run would have written; they go straight to validation and scoring.
 */
async function scoreResults(
  sub: Pick<SubmissionRow, 'id' | 'kind' | 'attempts'>,
  config: CompetitionConfig,
  upload: string,
  resultsDir: string,
  ctx: RunContext & Pick<ScoreContext, 'scoringRuntime'>,
): Promise<SubmissionResult | 'cancelled'> {
  const base = { runMs: 0, exitCode: null, logKey: null, logBytes: null, logTruncated: false };
  if (await isZip(upload)) {
    await extractZip(upload, resultsDir, { maxBytes: ctx.limits.maxUnpackedBytes, maxFiles: ctx.limits.maxFiles });
  } else {
    await mkdir(path.dirname(path.join(resultsDir, config.predictionsFile)), { recursive: true });
    await rename(upload, path.join(resultsDir, config.predictionsFile));
  }
  await ctx.onScoring();
  const data = runData(config, sub.kind);
  const scoreCtx = { ...ctx, showsLog: true };
  if (config.scoring.program?.input === 'raw') {
    const scored = await scoreOutputs(sub, config, data, { resultsDir }, scoreCtx);
    return scored === 'cancelled' ? scored : { ...base, ...scored };
  }
  const predictions = path.join(resultsDir, config.predictionsFile);
  await keepPredictions(ctx.blobs, sub.id, predictions, config.limits.outputBytes);
  const scored = await scoreOutputs(sub, config, data, predictions, scoreCtx);
  return scored === 'cancelled' ? scored : { ...base, ...scored };
}

/**
 * Folders for the data and output mounts that lie inside the code folder (`layout: drivendata`):
 * a read-only code mount could not get them created at run time. What the zip had there is hidden.
 */
async function makeMountPoints(codeDir: string, layout: RunLayout): Promise<void> {
  for (const inner of [layout.data, layout.output]) {
    if (!inner.startsWith(`${layout.code}/`)) continue;
    const dir = path.join(codeDir, inner.slice(layout.code.length + 1));
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }
}

/** The last 4 KiB of a log. */
async function logEnd(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, 4096);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The last non-empty line of a log's end: usually the error a run died of. */
function lastLine(tail: string): string | undefined {
  const lines = tail.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('[holdout]'));
  return lines.at(-1)?.slice(0, 300);
}
