import { parseNumber, clip } from '../parse-number.js';
import { MetricError, checkLengths, type MetricValues } from './metric.js';

export type ClassKey = number | string;

/** Values recoded as indices into `classes`, which is sorted as numpy sorts labels. */
export interface EncodedClasses {
  labels: Int32Array;
  predictions: Int32Array;
  classes: ClassKey[];
}

/** Per-class counts from encoded classes: true positives, true (support) and predicted counts. */
export interface ClassCounts {
  truePositives: Float64Array;
  trueCount: Float64Array;
  predictedCount: Float64Array;
}

/**
 * Class keys of one side: whole numbers when every value is one (as pandas reads such a column),
 * else the text. `nonInteger` is the first value that is a number but not a whole one, if any.
 */
function keysOf(values: MetricValues): { keys: ArrayLike<ClassKey>; numeric: boolean; nonInteger?: number } {
  let numbers: Float64Array;
  if (values instanceof Float64Array) {
    numbers = values;
  } else {
    numbers = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = parseNumber(values[i] as string);
      if (value !== value) return { keys: values, numeric: false };
      numbers[i] = value;
    }
  }
  for (let i = 0; i < numbers.length; i++) {
    const value = numbers[i] as number;
    if (!Number.isInteger(value)) {
      return { keys: values instanceof Float64Array ? Array.from(values, String) : values, numeric: false, nonInteger: value };
    }
  }
  return { keys: numbers, numeric: true };
}

/**
 * Encodes labels and predictions over the union of their classes.
 *
 * @remarks Like scikit-learn, labels that are numbers but not whole numbers are continuous targets
 * and an error. Predictions that are not whole numbers are compared as text (scikit-learn raises; the
 * scorer rejects them earlier where the submission format's column is numeric). When one side is
 * numeric and the other text, numbers are compared by their canonical text (`1.0` as `"1"`).
 */
export function encodeClasses(labels: MetricValues, predictions: MetricValues): EncodedClasses {
  checkLengths(labels, predictions);
  let y = labelKeys(labels);
  let p = keysOf(predictions);
  if (y.numeric !== p.numeric) {
    if (y.numeric) y = { keys: Array.from(y.keys, String), numeric: false };
    else p = { keys: Array.from(p.keys, String), numeric: false };
  }
  const codes = new Map<ClassKey, number>();
  const yCodes = encodeInto(y.keys, codes);
  const pCodes = encodeInto(p.keys, codes);
  const classes = sortCodes(codes, y.numeric, [yCodes, pCodes]);
  return { labels: yCodes, predictions: pCodes, classes };
}

/** Encodes labels alone (for metrics whose predictions are scores, not classes). */
export function encodeLabels(labels: MetricValues): { labels: Int32Array; classes: ClassKey[] } {
  if (labels.length === 0) throw new MetricError('no rows to score');
  const y = labelKeys(labels);
  const codes = new Map<ClassKey, number>();
  const yCodes = encodeInto(y.keys, codes);
  return { labels: yCodes, classes: sortCodes(codes, y.numeric, [yCodes]) };
}

function labelKeys(labels: MetricValues): { keys: ArrayLike<ClassKey>; numeric: boolean } {
  const y = keysOf(labels);
  if (y.nonInteger !== undefined) {
    throw new MetricError(
      `labels hold continuous values such as ${y.nonInteger}; a classification metric needs class labels`,
    );
  }
  return y;
}

/** Sorts the classes as numpy would and rewrites first-seen codes into sorted positions. */
function sortCodes(codes: Map<ClassKey, number>, numeric: boolean, arrays: Int32Array[]): ClassKey[] {
  const seen = [...codes.keys()];
  const classes = numeric
    ? (seen as number[]).sort((a, b) => a - b)
    : (seen as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = new Int32Array(classes.length);
  classes.forEach((key, sorted) => {
    rank[codes.get(key) as number] = sorted;
  });
  for (const array of arrays) {
    for (let i = 0; i < array.length; i++) array[i] = rank[array[i] as number] as number;
  }
  return classes;
}

// Class keys below this are coded through an array instead of the Map: the common 0/1 or 0..K case.
const DIRECT_KEYS = 1024;

function encodeInto(keys: ArrayLike<ClassKey>, codes: Map<ClassKey, number>): Int32Array {
  const out = new Int32Array(keys.length);
  const direct = keys instanceof Float64Array ? new Int32Array(DIRECT_KEYS).fill(-1) : undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as ClassKey;
    if (direct !== undefined && (key as number) >= 0 && (key as number) < DIRECT_KEYS) {
      const known = direct[key as number] as number;
      if (known >= 0) {
        out[i] = known;
        continue;
      }
      direct[key as number] = out[i] = codeOf(key, codes);
      continue;
    }
    out[i] = codeOf(key, codes);
  }
  return out;
}

function codeOf(key: ClassKey, codes: Map<ClassKey, number>): number {
  let code = codes.get(key);
  if (code === undefined) {
    code = codes.size;
    codes.set(key, code);
  }
  return code;
}

export function countClasses(encoded: EncodedClasses): ClassCounts {
  const k = encoded.classes.length;
  const truePositives = new Float64Array(k);
  const trueCount = new Float64Array(k);
  const predictedCount = new Float64Array(k);
  const { labels, predictions } = encoded;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const p = predictions[i] as number;
    trueCount[y] = (trueCount[y] as number) + 1;
    predictedCount[p] = (predictedCount[p] as number) + 1;
    if (y === p) truePositives[y] = (truePositives[y] as number) + 1;
  }
  return { truePositives, trueCount, predictedCount };
}

/** Index of the positive class "1" (scikit-learn's default pos_label=1), or -1. */
export function positiveIndex(classes: readonly ClassKey[]): number {
  return classes.findIndex((key) => key === 1 || key === '1');
}

/** A short list of classes for messages. */
export function listClasses(classes: readonly ClassKey[]): string {
  const shown = classes.slice(0, 5).map((key) => JSON.stringify(typeof key === 'string' ? clip(key, 20) : key));
  return `[${shown.join(', ')}${classes.length > 5 ? ', …' : ''}]`;
}
