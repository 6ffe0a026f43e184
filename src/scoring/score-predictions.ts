import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { basename } from 'node:path';
import { defaultLayout } from '../domain/limits.js';
import { collapseRankedRows } from './collapse-ranked-rows.js';
import { columnBytes } from './column-builder.js';
import { rowsOf, scorePart } from './compute-scores.js';
import { HostDataCache, withHostFile, type HostFileReader } from './host-data-cache.js';
import { openPredictions } from './open-predictions.js';
import { planScoring, type ScoringPlan } from './plan-scoring.js';
import { PRIVATE, PUBLIC, readLabels, type Labels } from './read-labels.js';
import { readPredictions } from './read-predictions.js';
import { runScoringProgram } from './program/run-scoring-program.js';
import type { ScoreInput, ScoreOutcome } from './score-types.js';
import { ScoringError } from './scoring-error.js';
import { readSubmissionFormat, type SubmissionFormat } from './submission-format.js';

/** Default for {@link ScoreInput.maxBytes}: 1 GiB. */
export const defaultMaxPredictionBytes = 1 << 30;

/** The cache scorePredictions uses unless told otherwise: one per process. */
export const sharedHostDataCache = new HostDataCache();

/**
 * Validates a run's predictions file against the submission format and scores it on the public
 * and private parts of the labels, with the built-in metrics or the competition's scoring program
 * (see `runScoringProgram`; `input.program` then says how to run it).
 *
 * @returns `{ ok: true }` with each configured metric per part, keyed by metric name (an empty
 * record for a part with no rows); `invalid_output` when the predictions break the format, with a
 * message for the participant that names the first problem and its line; `scoring_error` when the
 * host's labels, format or configuration cannot be scored (or a metric is undefined on a part,
 * e.g. roc_auc with one class).
 * @remarks The host's files are read first, so a broken competition never blames a participant.
 * Deterministic and without side effects, so scoring can be retried. An exception means a bug or
 * a failing disk, never a bad submission. The parsed host files stay in `input.cache` for the next
 * submission.
 */
export async function scorePredictions(input: ScoreInput): Promise<ScoreOutcome> {
  try {
    return await score(input);
  } catch (error) {
    if (error instanceof ScoringError) return { ok: false, reason: 'scoring_error', message: error.message };
    throw error;
  }
}

async function score(input: ScoreInput, collapsed = false): Promise<ScoreOutcome> {
  const { scoring } = input;
  const { format, plan, labels } = await readHostData(input);

  const maxBytes = input.maxBytes ?? defaultMaxPredictionBytes;
  const opened = await openPredictions(input.predictionsPath, maxBytes, input.outputFolder ?? defaultLayout.output);
  if (!opened.ok) return { ok: false, reason: 'invalid_output', message: opened.message };
  const ranking = new Set(plan.metrics.filter((m) => m.metric.predictions === 'ranking').flatMap((m) => m.columns.map((c) => format.header.indexOf(c))));
  if (!collapsed && ranking.size > 0 && (input.predictionsFormat ?? 'csv') === 'csv') {
    // Several rows per id (one per ranked result) become one row per id before the usual checks.
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-ranked-'));
    try {
      const joined = path.join(dir, basename(input.predictionsPath));
      const ok = await collapseRankedRows(opened.handle, joined, format.header, format.idColumn, ranking).finally(() => opened.handle.close());
      return await score(ok ? { ...input, predictionsPath: joined } : input, true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  try {
    const predictionsFormat = input.predictionsFormat ?? 'csv';
    if (predictionsFormat !== 'csv' && scoring.program !== undefined) throw new ScoringError('a scoring program reads CSV predictions only');
    const predictions = await readPredictions(opened.handle, opened.size, basename(input.predictionsPath), format, plan, predictionsFormat);
    if (!predictions.ok) return { ok: false, reason: 'invalid_output', message: predictions.message };
    if (scoring.program !== undefined) return await runScoringProgram(input, scoring.program, format, labels, opened);
    const part = (name: string, value: number) =>
      scorePart(name, rowsOf(labels.parts, value), plan, labels.columns, predictions.columns);
    return { ok: true, public: part('public', PUBLIC), private: part('private', PRIVATE), rows: format.index.size };
  } finally {
    await opened.handle.close();
  }
}

/** The host's side of scoring: the submission format, the plan, and the labels, from the cache when unchanged. */
async function readHostData(input: ScoreInput): Promise<{ format: SubmissionFormat; plan: ScoringPlan; labels: Labels }> {
  const { scoring, idColumn } = input;
  const cache = input.cache === undefined ? sharedHostDataCache : input.cache;
  const load = <T>(path: string, what: string, key: string, read: HostFileReader<T>, sizeOf: (value: T) => number): Promise<T> =>
    cache === null ? withHostFile(path, what, (handle, stats) => read(handle, Number(stats.size))) : cache.load(path, what, key, read, sizeOf);

  const formatPath = input.submissionFormatPath;
  const format = await load(
    formatPath,
    'submission format',
    `format\0${idColumn}`,
    (handle, size) => readSubmissionFormat(handle, size, formatPath, idColumn),
    (f) => f.index.byteSize + f.header.join('').length * 2,
  );
  const plan = planScoring(format, scoring);
  const labelsKey = ['labels', idColumn, formatPath, keyOf(format), ...plan.columns, JSON.stringify(scoring.split)].join('\0');
  const labels = await load(
    input.labelsPath,
    'labels',
    labelsKey,
    (handle, size) => readLabels(handle, size, input.labelsPath, idColumn, format, plan.columns, scoring.split),
    (l) => l.parts.byteLength + [...l.columns.values()].reduce((sum, values) => sum + columnBytes(values), 0),
  );
  return { format, plan, labels };
}

const formatKeys = new WeakMap<SubmissionFormat, number>();
let nextFormatKey = 0;

/** A number per format object: labels are positioned by one format's index, and cached with it. */
function keyOf(format: SubmissionFormat): number {
  let key = formatKeys.get(format);
  if (key === undefined) formatKeys.set(format, (key = nextFormatKey++));
  return key;
}
