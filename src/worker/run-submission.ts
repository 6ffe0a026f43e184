import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extractZip } from '../archive/safe-unzip.js';
import type { StoredCompetition } from '../db/competitions-repo.js';
import type { SubmissionRow } from '../db/schema.js';
import type { SubmissionResult } from '../db/submissions-repo.js';
import type { RunLayout } from '../domain/limits.js';
import type { Executor, RunResult } from '../executors/executor.js';
import { linkedOutputFolder } from '../executors/output-path.js';
import type { BlobStore } from '../storage/blob-store.js';
import { logVisibility } from '../domain/log-visibility.js';
import { describeRunFailure } from './describe-run-failure.js';
import { harnessEnvironment, prepareHarnessFolder } from './harness-folder.js';
import { keepPredictions } from './kept-predictions.js';
import { runData, scoreOutputs } from './score-outputs.js';

export interface RunContext {
  blobs: BlobStore;
  executor: Executor;
  /** Local folder of the competition's bundle files. */
  bundleDir: string;
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
  sub: Pick<SubmissionRow, 'id' | 'kind' | 'zip_key' | 'attempts'>,
  competition: Pick<StoredCompetition, 'config'>,
  ctx: RunContext,
): Promise<SubmissionResult | 'cancelled'> {
  const config = competition.config;
  const data = runData(config, sub.kind);

  const zipFile = path.join(ctx.workDir, 'submission.zip');
  const codeDir = path.join(ctx.workDir, 'code');
  const logPath = path.join(ctx.workDir, 'log.txt');
  await pipeline(await ctx.blobs.get(sub.zip_key), createWriteStream(zipFile));
  await mkdir(codeDir);
  await extractZip(zipFile, codeDir, { maxBytes: ctx.limits.maxUnpackedBytes, maxFiles: ctx.limits.maxFiles });
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
    ...(harness ? { harnessDir, codeReadOnly: !harness.writableCode } : {}),
    dataDir: path.join(ctx.bundleDir, data.features),
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
    const base = { runMs: run.wallMs, exitCode: run.exitCode, logKey, logBytes: run.logBytes, logTruncated: run.logTruncated, runtime };

    // A log line in the message is part of the log: shown only where the competition shows logs.
    const showsLog = logVisibility(config.logs, sub.kind) !== 'reason-only';
    const failure = describeRunFailure(run, config, showsLog ? await lastLogLine(logPath) : undefined);
    if (failure) return { ...base, status: 'failed', ...failure };

    await ctx.onScoring();
    const linked = await linkedOutputFolder(run.outputDir, config.predictionsFile);
    if (linked) return { ...base, status: 'failed', reason: 'invalid_output', message: linked };
    const predictions = path.join(run.outputDir, config.predictionsFile);
    // Kept so that a host can re-score (after fixing the labels) without running the code again.
    await keepPredictions(ctx.blobs, sub.id, predictions, config.limits.outputBytes);
    const scored = await scoreOutputs(sub, config, data, predictions, { ...ctx, showsLog });
    return scored === 'cancelled' ? scored : { ...base, ...scored };
  } finally {
    await run.dispose();
  }
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

/** The last non-empty line of a log (read from its tail only): usually the error a run died of. */
async function lastLogLine(file: string): Promise<string | undefined> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, 4096);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('[holdout]'));
    return lines.at(-1)?.slice(0, 300);
  } finally {
    await fh.close();
  }
}
