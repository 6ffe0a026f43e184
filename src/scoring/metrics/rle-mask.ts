import { clip } from '../parse-number.js';
import { checkLengths, MetricError, type MetricValues } from './metric.js';

/**
 * Runs of a Kaggle-style run-length-encoded mask, "start length start length ...": 1-based pixel
 * positions in the image's flattened order, as pairs of [start, end) positions.
 */
type Runs = Float64Array;

/**
 * Parses an RLE mask; an empty cell is an empty mask.
 * @returns the runs, or what is wrong with the text (for a message that quotes it).
 * @remarks Runs must be sorted and must not overlap, as Kaggle's encoders write them: an
 * overlapping pixel would otherwise count twice.
 */
export function parseRle(text: string): Runs | string {
  const trimmed = text.trim();
  if (trimmed === '') return new Float64Array(0);
  const tokens = trimmed.split(/\s+/);
  if (tokens.length % 2 !== 0) return `has ${tokens.length} numbers; an RLE mask is pairs of "start length"`;
  const runs = new Float64Array(tokens.length);
  let previousEnd = 1;
  for (let i = 0; i < tokens.length; i += 2) {
    const start = Number(tokens[i]);
    const length = Number(tokens[i + 1]);
    const pair = `"${clip(tokens[i] as string, 20)} ${clip(tokens[i + 1] as string, 20)}"`;
    if (!/^\d+$/.test(tokens[i] as string) || !/^\d+$/.test(tokens[i + 1] as string) || !Number.isSafeInteger(start) || !Number.isSafeInteger(length)) {
      return `has the pair ${pair}; starts and lengths are whole numbers`;
    }
    if (start < 1 || length < 1) return `has the pair ${pair}; starts count from 1 and lengths are at least 1`;
    if (start < previousEnd) return `has the run ${pair}, which starts before the previous run ends; runs must be sorted and must not overlap`;
    previousEnd = start + length;
    runs[i] = start;
    runs[i + 1] = previousEnd;
  }
  return runs;
}

/** The runs of each value; a value that is not a valid mask is the host's error here (predictions are checked earlier). */
function masksOf(values: MetricValues, side: 'labels' | 'predictions'): Runs[] {
  return Array.from({ length: values.length }, (_, i) => {
    const text = values instanceof Float64Array ? String(values[i]) : (values[i] as string);
    const runs = parseRle(text);
    if (typeof runs === 'string') throw new MetricError(`${side} must be RLE masks, but row ${i + 1} ${runs}`);
    return runs;
  });
}

const pixels = (runs: Runs): number => {
  let count = 0;
  for (let i = 0; i < runs.length; i += 2) count += (runs[i + 1] as number) - (runs[i] as number);
  return count;
};

/** Pixels two sorted, non-overlapping run lists share. */
function sharedPixels(a: Runs, b: Runs): number {
  let shared = 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const aEnd = a[i + 1] as number;
    const bEnd = b[j + 1] as number;
    shared += Math.max(0, Math.min(aEnd, bEnd) - Math.max(a[i] as number, b[j] as number));
    if (aEnd <= bEnd) i += 2;
    else j += 2;
  }
  return shared;
}

/**
 * Intersection over union (Jaccard index) of each row's predicted mask with its label mask,
 * averaged over the rows. Cells hold RLE masks ("start length ..." with 1-based starts).
 * @remarks A row whose label and prediction are both empty scores 1 (the prediction is exactly
 * right), as Kaggle's segmentation metrics score it; scikit-learn has no such case.
 */
export function maskIou(labels: MetricValues, predictions: MetricValues): number {
  const n = checkLengths(labels, predictions);
  const y = masksOf(labels, 'labels');
  const p = masksOf(predictions, 'predictions');
  let total = 0;
  for (let row = 0; row < n; row++) {
    const a = y[row] as Runs;
    const b = p[row] as Runs;
    const shared = sharedPixels(a, b);
    const union = pixels(a) + pixels(b) - shared;
    total += union === 0 ? 1 : shared / union;
  }
  return total / n;
}
