import { clip } from '../parse-number.js';
import { MetricError, checkLengths, type MetricValues } from './metric.js';
import { toNumbers } from './numbers.js';

/** Per-column counts of a multi-label indicator matrix, and per-row ones for sample averages. */
interface IndicatorCounts {
  /** Per column: true positives, true 1s, predicted 1s. */
  truePositives: Float64Array;
  trueCount: Float64Array;
  predictedCount: Float64Array;
  /** Per row: columns where both are 1, columns where either is 1. */
  rowIntersection: Float64Array;
  rowUnion: Float64Array;
}

/** The column as 0/1 numbers; anything else is an error (scikit-learn takes it for multi-output). */
function indicators(values: MetricValues, side: 'labels' | 'predictions', column: number): Float64Array {
  const numbers = toNumbers(values, side);
  for (let i = 0; i < numbers.length; i++) {
    const value = numbers[i] as number;
    if (value !== 0 && value !== 1) {
      const shown = values instanceof Float64Array ? String(value) : clip(values[i] as string);
      throw new MetricError(`multi-label ${side} must be 0 or 1, but row ${i + 1} of target column ${column + 1} holds ${JSON.stringify(shown)}`);
    }
  }
  return numbers;
}

function countIndicators(labels: readonly MetricValues[], predictions: readonly MetricValues[]): IndicatorCounts {
  if (labels.length !== predictions.length) throw new RangeError(`${labels.length} label columns but ${predictions.length} prediction columns`);
  if (labels.length === 0) throw new RangeError('a multi-label metric needs at least one column');
  const n = checkLengths(labels[0] as MetricValues, predictions[0] as MetricValues);
  const k = labels.length;
  const counts: IndicatorCounts = {
    truePositives: new Float64Array(k),
    trueCount: new Float64Array(k),
    predictedCount: new Float64Array(k),
    rowIntersection: new Float64Array(n),
    rowUnion: new Float64Array(n),
  };
  for (let c = 0; c < k; c++) {
    const y = indicators(labels[c] as MetricValues, 'labels', c);
    const p = indicators(predictions[c] as MetricValues, 'predictions', c);
    checkLengths(y, p);
    if (y.length !== n) throw new RangeError(`column ${c + 1} has ${y.length} rows, column 1 has ${n}`);
    let tp = 0;
    let t = 0;
    let q = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[i] as number;
      const pi = p[i] as number;
      tp += yi * pi;
      t += yi;
      q += pi;
      counts.rowIntersection[i] = (counts.rowIntersection[i] as number) + yi * pi;
      counts.rowUnion[i] = (counts.rowUnion[i] as number) + (yi + pi > 0 ? 1 : 0);
    }
    counts.truePositives[c] = tp;
    counts.trueCount[c] = t;
    counts.predictedCount[c] = q;
  }
  return counts;
}

// Zero divisions give 0, as scikit-learn 1.2's default zero_division="warn" does.
const ratio = (numerator: number, denominator: number): number => (denominator === 0 ? 0 : numerator / denominator);
const fScore = (precision: number, recall: number): number =>
  precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
const sum = (values: Float64Array): number => values.reduce((a, b) => a + b, 0);

/** `f1_score(Y, P, average="micro")` on indicator matrices: F1 of all (row, column) cells pooled. */
export function f1MicroMultiLabel(labels: readonly MetricValues[], predictions: readonly MetricValues[]): number {
  const k = countIndicators(labels, predictions);
  const tp = sum(k.truePositives);
  return fScore(ratio(tp, sum(k.predictedCount)), ratio(tp, sum(k.trueCount)));
}

/** `f1_score(Y, P, average="macro")`: the mean of each column's F1 (0 for a column never true nor predicted). */
export function f1MacroMultiLabel(labels: readonly MetricValues[], predictions: readonly MetricValues[]): number {
  const k = countIndicators(labels, predictions);
  let total = 0;
  for (let c = 0; c < k.truePositives.length; c++) {
    const tp = k.truePositives[c] as number;
    total += fScore(ratio(tp, k.predictedCount[c] as number), ratio(tp, k.trueCount[c] as number));
  }
  return total / k.truePositives.length;
}

/**
 * `jaccard_score(Y, P, average="samples")`: per row, |labels ∩ predictions| / |labels ∪ predictions|
 * over the columns, averaged over the rows.
 * @remarks A row with no 1 on either side scores 0, as scikit-learn 1.2 scores it (zero_division).
 */
export function jaccardSamples(labels: readonly MetricValues[], predictions: readonly MetricValues[]): number {
  const k = countIndicators(labels, predictions);
  let total = 0;
  for (let i = 0; i < k.rowUnion.length; i++) total += ratio(k.rowIntersection[i] as number, k.rowUnion[i] as number);
  return total / k.rowUnion.length;
}
