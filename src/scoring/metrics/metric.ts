/**
 * One column's values for the rows being scored: numbers when the scorer already parsed them,
 * else the CSV text, which each metric parses as it needs.
 */
export type MetricValues = Float64Array | readonly string[];

/** What a metric needs in the predictions column; the scorer validates predictions accordingly. */
export type PredictionKind = 'classes' | 'numbers' | 'probabilities';

/** A metric over (label, prediction) pairs; both arrays have the same, non-zero length. */
export type MetricFn = (labels: MetricValues, predictions: MetricValues) => number;

export interface Metric {
  fn: MetricFn;
  higherIsBetter: boolean;
  /** Predictions must be probabilities in [0, 1] (P(positive class) for binary metrics). */
  needsProbabilities: boolean;
  predictions: PredictionKind;
}

/**
 * A metric is undefined on these values (one class only, non-binary labels, continuous targets...).
 * @remarks Raised where scikit-learn raises (or returns NaN); the scorer reports it as a scoring_error.
 */
export class MetricError extends Error {
  override name = 'MetricError';
}

/** Rejects empty or mismatched inputs, which only a caller's bug produces. */
export function checkLengths(labels: MetricValues, predictions: MetricValues): number {
  if (labels.length !== predictions.length) {
    throw new RangeError(`labels (${labels.length}) and predictions (${predictions.length}) differ in length`);
  }
  if (labels.length === 0) throw new MetricError('no rows to score');
  return labels.length;
}
