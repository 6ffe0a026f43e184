import {
  countClasses,
  encodeClasses,
  listClasses,
  positiveIndex,
  type ClassCounts,
} from './classes.js';
import { MetricError, type MetricValues } from './metric.js';

// Zero divisions give 0, as scikit-learn's default zero_division="warn" does (after warning).
const ratio = (numerator: number, denominator: number): number =>
  denominator === 0 ? 0 : numerator / denominator;

// scikit-learn 1.2's F-score from precision and recall (not from counts, as 1.3+ does).
const fScore = (precision: number, recall: number): number => {
  const denominator = precision + recall;
  return denominator === 0 ? 0 : (2 * precision * recall) / denominator;
};

function mean(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

function perClass(counts: ClassCounts, score: (c: number) => number): Float64Array {
  return Float64Array.from({ length: counts.trueCount.length }, (_, c) => score(c));
}

const precisionOf = (k: ClassCounts) => (c: number) => ratio(k.truePositives[c] as number, k.predictedCount[c] as number);
const recallOf = (k: ClassCounts) => (c: number) => ratio(k.truePositives[c] as number, k.trueCount[c] as number);
const f1Of = (k: ClassCounts) => (c: number) => fScore(precisionOf(k)(c), recallOf(k)(c));

const countsOf = (labels: MetricValues, predictions: MetricValues): ClassCounts =>
  countClasses(encodeClasses(labels, predictions));

export function accuracy(labels: MetricValues, predictions: MetricValues): number {
  const encoded = encodeClasses(labels, predictions);
  let correct = 0;
  for (let i = 0; i < encoded.labels.length; i++) if (encoded.labels[i] === encoded.predictions[i]) correct++;
  return correct / encoded.labels.length;
}

/** Mean recall over the classes present in the labels (predicted-only classes are left out, as in scikit-learn). */
export function balancedAccuracy(labels: MetricValues, predictions: MetricValues): number {
  const counts = countsOf(labels, predictions);
  let sum = 0;
  let present = 0;
  counts.trueCount.forEach((support, c) => {
    if (support === 0) return;
    sum += (counts.truePositives[c] as number) / support;
    present++;
  });
  return sum / present;
}

/** Macro averages run over the union of classes in labels and predictions, as scikit-learn's do. */
export const precisionMacro = (labels: MetricValues, predictions: MetricValues): number => {
  const counts = countsOf(labels, predictions);
  return mean(perClass(counts, precisionOf(counts)));
};

export const recallMacro = (labels: MetricValues, predictions: MetricValues): number => {
  const counts = countsOf(labels, predictions);
  return mean(perClass(counts, recallOf(counts)));
};

export const f1Macro = (labels: MetricValues, predictions: MetricValues): number => {
  const counts = countsOf(labels, predictions);
  return mean(perClass(counts, f1Of(counts)));
};

/** Per-class F1 weighted by each class's support in the labels. */
export function f1Weighted(labels: MetricValues, predictions: MetricValues): number {
  const counts = countsOf(labels, predictions);
  const f1 = perClass(counts, f1Of(counts));
  let sum = 0;
  let weights = 0;
  f1.forEach((value, c) => {
    const support = counts.trueCount[c] as number;
    sum += value * support;
    weights += support;
  });
  return ratio(sum, weights);
}

export function f1Micro(labels: MetricValues, predictions: MetricValues): number {
  const counts = countsOf(labels, predictions);
  const total = (values: Float64Array) => values.reduce((a, b) => a + b, 0);
  const tp = total(counts.truePositives);
  return fScore(ratio(tp, total(counts.predictedCount)), ratio(tp, total(counts.trueCount)));
}

/**
 * Counts for the positive class 1, with scikit-learn's average="binary" checks: more than two
 * classes, or two classes without 1, is an error; one class without 1 gives zero counts.
 */
function positiveCounts(metric: string, labels: MetricValues, predictions: MetricValues) {
  const encoded = encodeClasses(labels, predictions);
  const { classes } = encoded;
  if (classes.length > 2) {
    throw new MetricError(
      `${metric} needs binary classes, but labels and predictions hold ${classes.length}: ${listClasses(classes)}`,
    );
  }
  const positive = positiveIndex(classes);
  if (positive < 0 && classes.length === 2) {
    throw new MetricError(`${metric} needs the positive class 1, but the classes are ${listClasses(classes)}`);
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < encoded.labels.length; i++) {
    const isTrue = encoded.labels[i] === positive;
    const isPredicted = encoded.predictions[i] === positive;
    if (isTrue && isPredicted) tp++;
    else if (isPredicted) fp++;
    else if (isTrue) fn++;
  }
  return { tp, fp, fn };
}

/** F1 of the positive class 1 (scikit-learn's default average="binary", pos_label=1). */
export function f1Binary(labels: MetricValues, predictions: MetricValues): number {
  const { tp, fp, fn } = positiveCounts('f1_binary', labels, predictions);
  return fScore(ratio(tp, tp + fp), ratio(tp, tp + fn));
}

/** Jaccard index of the positive class 1: scikit-learn's `jaccard_score` default, average="binary". */
export function jaccardBinary(labels: MetricValues, predictions: MetricValues): number {
  const { tp, fp, fn } = positiveCounts('jaccard', labels, predictions);
  return ratio(tp, tp + fp + fn);
}
