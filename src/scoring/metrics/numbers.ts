import { parseNumber, clip } from '../parse-number.js';
import { MetricError, type MetricValues } from './metric.js';

/** The values as numbers, parsing text; a value that is not a finite number is an error. */
export function toNumbers(values: MetricValues, side: 'labels' | 'predictions'): Float64Array {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const text = values[i] as string;
    const value = parseNumber(text);
    if (value !== value) {
      throw new MetricError(`${side} must be numbers, but row ${i + 1} holds ${JSON.stringify(clip(text))}`);
    }
    out[i] = value;
  }
  return out;
}

/** Mean of `term(i)` for i in [0, n); see {@link sumOf}. */
export function meanOf(n: number, term: (i: number) => number): number {
  return sumOf(n, term) / n;
}

/**
 * Sum of `term(i)` for i in [0, n), with Neumaier compensation.
 * @remarks numpy sums pairwise; a naive loop over ten million rows may drift by up to n·eps ≈ 1e-9
 * (relative) from it, a compensated sum stays within a few units in the last place.
 */
export function sumOf(n: number, term: (i: number) => number): number {
  let sum = 0;
  let carry = 0;
  for (let i = 0; i < n; i++) {
    const x = term(i);
    const t = sum + x;
    carry += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + carry;
}
