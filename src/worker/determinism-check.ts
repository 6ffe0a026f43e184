import { open } from 'node:fs/promises';
import path from 'node:path';
import type { StoredCompetition } from '../db/competitions-repo.js';
import type { DeterminismCheckRow, SubmissionRow } from '../db/schema.js';
import { comparisonAgrees, compareScores, rerunId, type DeterminismResult, type PredictionsComparison } from '../domain/determinism.js';
import { phaseConfig } from '../domain/phases.js';
import { scoringLogKey } from '../domain/scoring-log.js';
import { comparePredictions } from '../scoring/compare-predictions.js';
import { readCsv } from '../scoring/csv-reader.js';
import { scorerVersion } from '../scoring/scorer-version.js';
import { fetchKeptPredictions, predictionsKey } from './kept-predictions.js';
import { type RunContext, runSubmission } from './run-submission.js';
import { runData } from './score-outputs.js';

/** What a finished check records. */
export interface CheckOutcome {
  status: 'identical' | 'different';
  reason: string;
  result: DeterminismResult;
}


/**
 * Runs a scored submission again exactly as the worker runs it, then compares the predictions
 * (row by row) and scores with the original's. Records nothing on the submission.
 * @returns the outcome, or 'cancelled' when `ctx.signal` stopped the run
 * @throws when the platform failed (the caller retries the check or ends it as failed)
 */
export async function runDeterminismCheck(
  check: Pick<DeterminismCheckRow, 'id' | 'attempts' | 'tolerance' | 'same_worker'>,
  sub: SubmissionRow,
  competition: StoredCompetition,
  ctx: RunContext,
): Promise<CheckOutcome | 'cancelled'> {
  const id = rerunId(check.id);
  const config = phaseConfig(competition.config, sub.phase);
  const originalFile = path.join(ctx.workDir, 'original-predictions');
  try {
    const kept = await fetchKeptPredictions(ctx.blobs, sub.id, originalFile);
    const rerun = await runSubmission({ id, kind: sub.kind, zip_key: sub.zip_key, attempts: check.attempts, phase: sub.phase }, competition, ctx);
    if (rerun === 'cancelled') return rerun;
    const tolerance = check.tolerance;
    const parse = (json: string | null) => (json ? (JSON.parse(json) as Record<string, number>) : null);
    const scores = [
      ...compareScores('public', parse(sub.public_scores), rerun.publicScores ?? null, tolerance),
      ...(sub.kind === 'full' ? compareScores('private', parse(sub.private_scores), rerun.privateScores ?? null, tolerance) : []),
    ];
    let predictions: PredictionsComparison;
    const rerunFile = path.join(ctx.workDir, 'rerun-predictions');
    if (!kept) predictions = { compared: false, why: 'the original run kept no predictions (a raw scoring program reads its whole output folder, or the run is older than kept predictions): only the scores were compared' };
    else if (rerun.status !== 'scored' && !(await fetchKeptPredictions(ctx.blobs, id, rerunFile))) predictions = { compared: false, why: 'the re-run wrote no predictions' };
    else {
      if (rerun.status === 'scored' && !(await fetchKeptPredictions(ctx.blobs, id, rerunFile))) throw new Error('the re-run was scored but its predictions were not kept');
      const format = config.predictionsFormat ?? 'csv';
      const formatFile = runData(config, sub.kind).format;
      const columns = format === 'jsonl' && formatFile ? await headerOf(path.join(ctx.bundleDir, formatFile)) : undefined;
      predictions = await comparePredictions(originalFile, rerunFile, { format, idColumn: config.idColumn, tolerance, ...(columns ? { columns } : {}) });
    }
    const result: DeterminismResult = {
      tolerance,
      rerun: { status: rerun.status === 'scored' ? 'scored' : 'failed', reason: rerun.reason ?? null, message: rerun.message ?? null, runMs: rerun.runMs ?? null },
      predictions,
      scores,
      provenanceChanges: provenanceChanges(sub, competition),
    };
    const same = rerun.status === 'scored' && comparisonAgrees(predictions, scores);
    const where = check.same_worker === 1 ? ' It ran on the worker that ran the original: no other worker was available.' : '';
    return { status: same ? 'identical' : 'different', reason: describe(result, same) + where, result };
  } finally {
    // The re-run's blobs served the comparison only: what it found is in the check's result.
    await Promise.all([`logs/${id}.txt`, predictionsKey(id), scoringLogKey(id)].map((key) => ctx.blobs.delete(key).catch(() => undefined)));
  }
}

/** The result in one or two sentences, for the check's `reason`. */
function describe(r: DeterminismResult, same: boolean): string {
  const tol = `tolerance ${r.tolerance} (relative, absolute below 1)`;
  if (same) {
    const rows = r.predictions.compared ? `the same predictions (${r.predictions.rows} rows)` : 'the same scores';
    return `The re-run wrote ${rows} and got the same scores, within ${tol}.`;
  }
  const parts: string[] = [];
  if (r.rerun.status === 'failed') parts.push(`the re-run failed (${(r.rerun.reason ?? 'failed').replace(/_/g, ' ')}${r.rerun.message ? `: ${r.rerun.message}` : ''}) where the original was scored`);
  const p = r.predictions;
  if (p.compared && p.columns) parts.push(`the predictions have other columns (${p.columns.rerun.join(', ')} instead of ${p.columns.original.join(', ')})`);
  else if (p.compared && p.differingRows + p.missingRows + p.extraRows > 0) {
    parts.push(`${p.differingRows} of ${p.rows} prediction rows differ${p.missingRows ? `, ${p.missingRows} missing` : ''}${p.extraRows ? `, ${p.extraRows} extra` : ''}`);
  }
  const scores = r.scores.filter((s) => !s.agree).map((s) => `${s.part} ${s.metric} ${s.original ?? '—'} → ${s.rerun ?? '—'}`);
  if (scores.length) parts.push(`scores differ: ${scores.join(', ')}`);
  const text = parts.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)} (${tol}).${r.provenanceChanges.length ? ` Since the original: ${r.provenanceChanges.join('; ')}.` : ''}`;
}

/** What the submission was scored with that differs now: a difference may come from these, not from the code. */
function provenanceChanges(sub: SubmissionRow, competition: StoredCompetition): string[] {
  const changes: string[] = [];
  const compare = (what: string, then: string | null, now: string | null | undefined) => {
    if (then !== null && (now ?? null) !== then) changes.push(`${what} changed (${then} → ${now ?? 'none'})`);
  };
  compare('the bundle', sub.bundle_digest, competition.bundleDigest);
  compare('the runtime', sub.runtime_digest, competition.config.runtimeDigest);
  compare('the test data', sub.test_data_digest, competition.config.testDataDigest);
  compare('the scoring code', sub.scorer_version, scorerVersion);
  return changes;
}

/** The header of a CSV file (the submission format): the columns of JSON lines predictions. */
async function headerOf(file: string): Promise<string[]> {
  const handle = await open(file, 'r');
  const found: string[][] = [];
  try {
    const { size } = await handle.stat();
    await readCsv(handle, size, (row) => {
      if (found.length === 0 && !row.blank) found.push(row.texts());
    });
  } finally {
    await handle.close();
  }
  return found[0] ?? [];
}
