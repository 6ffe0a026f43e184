/**
 * What a determinism check found: the re-run's predictions and scores beside the original's.
 * Pure types and rules, shared by the worker (which computes it) and the server (which shows it).
 */

/** Relative tolerance a check uses unless the host asks for another. */
export const defaultTolerance = 1e-9;

/** Differences listed per check; the counts cover them all. */
export const maxListedDifferences = 20;

/** What a check's re-run id starts with, before the check's id. */
export const rerunPrefix = 'check-';

/**
 * The id a check's re-run runs and keeps its blobs under: never the submission's own, so that
 * its log, kept predictions and scoring log stay as they are.
 */
export const rerunId = (checkId: string): string => `${rerunPrefix}${checkId}`;

/** Two numbers agree when |a − b| ≤ tolerance × max(1, |a|, |b|): absolute near 0, relative beyond. */
export function numbersAgree(a: number, b: number, tolerance: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));
}

/** One cell that differs; `row` is the row's id (with `#n` for the n-th row of an id that has several). */
export interface CellDifference {
  row: string;
  column: string;
  original: string;
  rerun: string;
}

export type PredictionsComparison =
  | {
      compared: true;
      /** Rows of the original predictions. */
      rows: number;
      /** Rows present in both whose cells differ beyond the tolerance. */
      differingRows: number;
      /** Ids of the original the re-run did not write, and ids the re-run wrote in addition. */
      missingRows: number;
      extraRows: number;
      /** Set when the two files name other columns: nothing else is compared then. */
      columns?: { original: string[]; rerun: string[] };
      /** The first {@link maxListedDifferences} differing cells, in the original's row order. */
      differences: CellDifference[];
    }
  | { compared: false; why: string };

export interface ScoreComparison {
  part: 'public' | 'private';
  metric: string;
  original: number | null;
  rerun: number | null;
  agree: boolean;
}

/** What a final check records (`result_json`). */
export interface DeterminismResult {
  tolerance: number;
  /** How the re-run ended (a run that failed through its code makes the check `different`). */
  rerun: { status: 'scored' | 'failed'; reason: string | null; message: string | null; runMs: number | null };
  predictions: PredictionsComparison;
  scores: ScoreComparison[];
  /** Where what the original was scored with differs from the re-run's (a changed bundle or runtime). */
  provenanceChanges: string[];
}

/** Whether a comparison found nothing that differs. */
export function comparisonAgrees(p: PredictionsComparison, scores: readonly ScoreComparison[]): boolean {
  const predictionsAgree = !p.compared || (p.differingRows === 0 && p.missingRows === 0 && p.extraRows === 0 && p.columns === undefined);
  return predictionsAgree && scores.every((s) => s.agree);
}

/** Compares two sets of scores metric by metric; a metric only one side has does not agree. */
export function compareScores(part: 'public' | 'private', original: Record<string, number> | null, rerun: Record<string, number> | null, tolerance: number): ScoreComparison[] {
  const metrics = [...new Set([...Object.keys(original ?? {}), ...Object.keys(rerun ?? {})])];
  return metrics.map((metric) => {
    const a = original?.[metric] ?? null;
    const b = rerun?.[metric] ?? null;
    return { part, metric, original: a, rerun: b, agree: a !== null && b !== null && numbersAgree(a, b, tolerance) };
  });
}
