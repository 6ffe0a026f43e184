import { basename } from 'node:path';
import { defaultLayout } from '../domain/limits.js';
import { rowsOf, scorePart } from './compute-scores.js';
import { openPredictions } from './open-predictions.js';
import { planScoring } from './plan-scoring.js';
import { PRIVATE, PUBLIC, readLabels } from './read-labels.js';
import { readPredictions, type PredictionsResult } from './read-predictions.js';
import type { ScoreInput, ScoreOutcome } from './score-types.js';
import { ScoringError } from './scoring-error.js';
import { readSubmissionFormat } from './submission-format.js';

/** Default for {@link ScoreInput.maxBytes}: 1 GiB. */
export const defaultMaxPredictionBytes = 1 << 30;

/**
 * Validates a run's predictions file against the submission format and scores it on the public
 * and private parts of the labels.
 *
 * @returns `{ ok: true }` with each configured metric per part, keyed by metric name (an empty
 * record for a part with no rows); `invalid_output` when the predictions break the format, with a
 * message for the participant that names the first problem and its line; `scoring_error` when the
 * host's labels, format or configuration cannot be scored (or a metric is undefined on a part,
 * e.g. roc_auc with one class).
 * @remarks The host's files are read first, so a broken competition never blames a participant.
 * Deterministic and without side effects, so scoring can be retried. An exception means a bug or
 * a failing disk, never a bad submission.
 */
export async function scorePredictions(input: ScoreInput): Promise<ScoreOutcome> {
  try {
    return await score(input);
  } catch (error) {
    if (error instanceof ScoringError) return { ok: false, reason: 'scoring_error', message: error.message };
    throw error;
  }
}

async function score(input: ScoreInput): Promise<ScoreOutcome> {
  const { scoring, idColumn } = input;
  const format = await readSubmissionFormat(input.submissionFormatPath, idColumn);
  const plan = planScoring(format, scoring);
  const labels = await readLabels(input.labelsPath, idColumn, format, plan.columns, scoring.split);

  const maxBytes = input.maxBytes ?? defaultMaxPredictionBytes;
  const opened = await openPredictions(input.predictionsPath, maxBytes, input.outputFolder ?? defaultLayout.output);
  if (!opened.ok) return { ok: false, reason: 'invalid_output', message: opened.message };
  let predictions: PredictionsResult;
  try {
    predictions = await readPredictions(opened.handle, opened.size, basename(input.predictionsPath), format, plan);
  } finally {
    await opened.handle.close();
  }
  if (!predictions.ok) return { ok: false, reason: 'invalid_output', message: predictions.message };

  const part = (name: string, value: number) =>
    scorePart(name, rowsOf(labels.parts, value), plan, labels.columns, predictions.columns);
  return { ok: true, public: part('public', PUBLIC), private: part('private', PRIVATE), rows: format.ids.length };
}
