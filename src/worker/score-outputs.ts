import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { CompetitionConfig, ScoringProgram } from '../domain/competition.js';
import { withholdQuoted } from '../domain/log-visibility.js';
import { scoringLogKey } from '../domain/scoring-log.js';
import type { SubmissionKind } from '../domain/submission.js';
import type { SubmissionResult } from '../db/submissions-repo.js';
import type { Executor } from '../executors/executor.js';
import { runRawScoringProgram } from '../scoring/program/run-raw-program.js';
import { scorePredictions } from '../scoring/score-predictions.js';
import type { BlobStore } from '../storage/blob-store.js';

/** The bundle paths a run of `kind` sees and is scored against. */
export function runData(config: CompetitionConfig, kind: SubmissionKind) {
  const smoke = kind === 'smoke' ? config.data.smoke : undefined;
  return smoke
    ? { smoke: true, features: smoke.features, labels: smoke.labels, format: smoke.submissionFormat }
    : { smoke: false, features: config.data.testFeatures, labels: config.data.labels, format: config.data.submissionFormat };
}

export interface ScoreContext {
  blobs: BlobStore;
  executor: Executor;
  bundleDir: string;
  workDir: string;
  signal: AbortSignal;
  /** Whether the participant may read the run's log: if not, messages withhold what the run wrote. */
  showsLog: boolean;
  /**
   * The runtime a scoring program without one of its own runs in: the competition's, also for a
   * phase whose code runs in another (the program is the competition's, not the phase's).
   * @defaultValue the runtime of `config`
   */
  scoringRuntime?: Pick<CompetitionConfig, 'runtime' | 'runtimeDigest' | 'runtimeImage'>;
}

type Scored = Omit<SubmissionResult, 'runMs' | 'exitCode' | 'logKey' | 'logBytes' | 'logTruncated'>;

/** Validates and scores a predictions file (hostile: written by the run); what to record, or 'cancelled'. */
export async function scoreOutputs(
  sub: { id: string; attempts: number },
  config: CompetitionConfig,
  data: ReturnType<typeof runData>,
  /** The predictions file, or for a raw scoring program the whole folder of results. */
  predictions: string | { resultsDir: string },
  ctx: ScoreContext,
): Promise<Scored | 'cancelled'> {
  // A scoring log is about the latest attempt only: a re-run must not show an older failure's.
  await ctx.blobs.delete(scoringLogKey(sub.id));
  const program = config.scoring.program;
  const scoringDir = path.join(ctx.workDir, 'scoring');
  if (program) await mkdir(scoringDir);
  const runtime = ctx.scoringRuntime ?? config;
  const programContext = {
    executor: ctx.executor,
    bundleDir: ctx.bundleDir,
    workDir: scoringDir,
    runId: `${sub.id}-${sub.attempts}`,
    runtime: runtime.runtime,
    ...(runtime.runtimeDigest === undefined ? {} : { runtimeDigest: runtime.runtimeDigest }),
    ...(runtime.runtimeImage === undefined ? {} : { runtimeImage: runtime.runtimeImage }),
    signal: ctx.signal,
  };
  const labelsPath = path.join(ctx.bundleDir, data.labels);
  const metrics = [config.scoring.primary.metric, ...config.scoring.extra.map((m) => m.metric)];
  const outcome =
    typeof predictions !== 'string' || program?.input === 'raw' || data.format === undefined
      ? await runRawScoringProgram(
          { resultsDir: typeof predictions === 'string' ? path.dirname(predictions) : predictions.resultsDir, labelsPath, maxBytes: config.limits.outputBytes, metrics, program: programContext },
          requireRaw(program),
        )
      : await scorePredictions({
          predictionsPath: predictions,
          submissionFormatPath: path.join(ctx.bundleDir, data.format),
          labelsPath,
          idColumn: config.idColumn,
          scoring: config.scoring,
          ...(config.predictionsFormat === undefined ? {} : { predictionsFormat: config.predictionsFormat }),
          outputFolder: config.layout.output,
          maxBytes: config.limits.outputBytes,
          ...(program ? { program: programContext } : {}),
        });
  if (program && ctx.signal.aborted) return 'cancelled';
  if (!outcome.ok) {
    // The scoring program's log may print anything it read, labels included: it is kept for the
    // host under its own key and never goes into the participant's message.
    if (outcome.hostLog !== undefined) await ctx.blobs.put(scoringLogKey(sub.id), Readable.from([outcome.hostLog]));
    const message = ctx.showsLog || data.format === undefined ? outcome.message : withholdQuoted(outcome.message, await formatColumns(path.join(ctx.bundleDir, data.format)));
    return { status: 'failed', reason: outcome.reason, message };
  }
  const primary = config.scoring.primary.metric;
  return {
    status: 'scored',
    publicScores: outcome.public,
    privateScores: outcome.private,
    publicPrimary: outcome.public[primary] ?? null,
    privatePrimary: outcome.private[primary] ?? null,
  };
}

/** The raw scoring program; a competition without a submission format has one (the bundle loader checks it). */
function requireRaw(program: ScoringProgram | undefined): ScoringProgram {
  if (program === undefined) throw new Error('a competition without a submission format needs a raw scoring program');
  return program;
}

/** The submission format's column names and header line: public, so messages may quote them. */
async function formatColumns(file: string): Promise<Set<string>> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const header = buf.subarray(0, bytesRead).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
    // Non-finite spellings carry no data, and naming them helps.
    return new Set([header, ...header.split(','), 'NaN', 'nan', 'inf', '-inf', 'Infinity', '-Infinity']);
  } finally {
    await fh.close();
  }
}
