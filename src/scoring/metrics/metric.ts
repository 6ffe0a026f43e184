/**
 * One column's values for the rows being scored: numbers when the scorer already parsed them,
 * else the CSV text, which each metric parses as it needs.
 */
export type MetricValues = Float64Array | readonly string[];

/**
 * What a metric needs in the predictions column; the scorer validates predictions accordingly.
 * `indicators` are 0 or 1 (a multi-label target column); `masks` are run-length-encoded pixel
 * masks, text the metric decodes; `ranking` cells list results best first (see ranking.ts).
 */
export type PredictionKind = 'classes' | 'numbers' | 'probabilities' | 'indicators' | 'masks' | 'ranking';

/** A metric over (label, prediction) pairs; both arrays have the same, non-zero length. */
export type MetricFn = (labels: MetricValues, predictions: MetricValues) => number;

/**
 * A metric over several columns at once (multi-label targets): one array per column, in the
 * configured order, labels and predictions alike; every array has the same, non-zero length.
 */
export type MultiLabelFn = (labels: readonly MetricValues[], predictions: readonly MetricValues[]) => number;

/** A metric of one column of labels against the same column of predictions. */
export interface Metric {
  fn: MetricFn;
  higherIsBetter: boolean;
  /** Predictions must be probabilities in [0, 1] (P(positive class) for binary metrics). */
  needsProbabilities: boolean;
  predictions: PredictionKind;
}

/** A metric of several 0/1 target columns together, as scikit-learn scores a multi-label indicator matrix. */
export interface MultiLabelMetric {
  readonly multiLabel: true;
  fn: MultiLabelFn;
  higherIsBetter: boolean;
  needsProbabilities: false;
  predictions: 'indicators';
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
