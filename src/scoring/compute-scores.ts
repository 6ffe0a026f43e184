import type { Scores } from './score-types.js';
import { MetricError, type MetricValues } from './metrics/metric.js';
import type { ScoringPlan } from './plan-scoring.js';
import { ScoringError } from './scoring-error.js';

/** The values at `rows`, in order. */
function pick(values: MetricValues, rows: Uint32Array): MetricValues {
  if (values instanceof Float64Array) {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = values[rows[i] as number] as number;
    return out;
  }
  const out = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i] as number] as string;
  return out;
}

/** Positions of the rows whose part is `part`. */
export function rowsOf(parts: Uint8Array, part: number): Uint32Array {
  let count = 0;
  for (let row = 0; row < parts.length; row++) if (parts[row] === part) count++;
  const rows = new Uint32Array(count);
  let next = 0;
  for (let row = 0; row < parts.length; row++) if (parts[row] === part) rows[next++] = row;
  return rows;
}

/**
 * Every planned metric on the given rows. A part without rows has no scores.
 * @throws ScoringError when a metric is undefined on these rows (e.g. roc_auc with one class), or
 * gives a value that is not finite.
 */
export function scorePart(
  partName: string,
  rows: Uint32Array,
  plan: ScoringPlan,
  labels: ReadonlyMap<string, MetricValues>,
  predictions: ReadonlyMap<string, MetricValues>,
): Scores {
  const scores: Scores = {};
  if (rows.length === 0) return scores;
  const picked = new Map<string, [MetricValues, MetricValues]>();
  for (const column of plan.columns) {
    const y = labels.get(column);
    const p = predictions.get(column);
    if (y === undefined || p === undefined) throw new Error(`column ${column} was not read`);
    picked.set(column, [pick(y, rows), pick(p, rows)]);
  }
  for (const { name, metric, columns } of plan.metrics) {
    const pairs = columns.map((column) => picked.get(column) as [MetricValues, MetricValues]);
    let value: number;
    try {
      const [y, p] = pairs[0] as [MetricValues, MetricValues];
      value = 'multiLabel' in metric ? metric.fn(pairs.map((pair) => pair[0]), pairs.map((pair) => pair[1])) : metric.fn(y, p);
    } catch (error) {
      if (error instanceof MetricError) {
        throw new ScoringError(`${name} on the ${partName} part (${rows.length} rows): ${error.message}`);
      }
      throw error;
    }
    if (!Number.isFinite(value)) throw new ScoringError(`${name} on the ${partName} part gave ${value}`);
    scores[name] = value;
  }
  return scores;
}
