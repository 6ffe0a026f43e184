import { checkLengths, MetricError, type MetricValues } from './metric.js';
import { meanOf, sumOf, toNumbers } from './numbers.js';

// numpy's float64 machine epsilon, scikit-learn's floor for |y| in MAPE.
const EPSILON = 2.220446049250313e-16;

function pair(labels: MetricValues, predictions: MetricValues): [Float64Array, Float64Array, number] {
  const n = checkLengths(labels, predictions);
  return [toNumbers(labels, 'labels'), toNumbers(predictions, 'predictions'), n];
}

export function rmse(labels: MetricValues, predictions: MetricValues): number {
  const [y, p, n] = pair(labels, predictions);
  return Math.sqrt(meanOf(n, (i) => ((y[i] as number) - (p[i] as number)) ** 2));
}

export function mae(labels: MetricValues, predictions: MetricValues): number {
  const [y, p, n] = pair(labels, predictions);
  return meanOf(n, (i) => Math.abs((y[i] as number) - (p[i] as number)));
}

/** Mean absolute percentage error as a fraction (not ×100), |y| floored at machine epsilon. */
export function mape(labels: MetricValues, predictions: MetricValues): number {
  const [y, p, n] = pair(labels, predictions);
  return meanOf(n, (i) => Math.abs((y[i] as number) - (p[i] as number)) / Math.max(Math.abs(y[i] as number), EPSILON));
}

/**
 * Coefficient of determination, with scikit-learn's handling of constant labels: 1 when the
 * predictions are exact, else 0.
 * @remarks With fewer than two rows scikit-learn warns and returns NaN; a NaN cannot be ranked, so
 * this throws a MetricError instead.
 */
export function r2(labels: MetricValues, predictions: MetricValues): number {
  const [y, p, n] = pair(labels, predictions);
  if (n < 2) throw new MetricError('r2 is not defined with fewer than two rows');
  const meanY = meanOf(n, (i) => y[i] as number);
  const residual = sumOf(n, (i) => ((y[i] as number) - (p[i] as number)) ** 2);
  const total = sumOf(n, (i) => ((y[i] as number) - meanY) ** 2);
  if (residual === 0) return 1;
  if (total === 0) return 0;
  return 1 - residual / total;
}
