import { encodeLabels, listClasses, positiveIndex } from './classes.js';
import { checkLengths, MetricError, type MetricValues } from './metric.js';
import { meanOf, toNumbers } from './numbers.js';
import { sortNumbers } from './sort-numbers.js';

// scikit-learn 1.2's log_loss default eps="auto": float64 machine epsilon (not the 1e-15 of <=1.1).
const LOG_LOSS_EPS = 2.220446049250313e-16;

/**
 * Labels as positive/negative flags, the positive class being the larger of exactly two classes
 * (how scikit-learn's LabelBinarizer reads binary labels for log_loss and roc_auc).
 */
function binaryLabels(metric: string, labels: MetricValues): Uint8Array {
  const { labels: codes, classes } = encodeLabels(labels);
  if (classes.length === 1) {
    throw new MetricError(`${metric} is not defined when the labels hold one class only (${listClasses(classes)})`);
  }
  if (classes.length > 2) {
    throw new MetricError(`${metric} supports binary labels only; the labels hold ${classes.length} classes`);
  }
  return Uint8Array.from(codes);
}

/** Binary cross-entropy; predictions are P(positive class), clipped to [eps, 1 - eps]. */
export function logLoss(labels: MetricValues, predictions: MetricValues): number {
  const n = checkLengths(labels, predictions);
  const positive = binaryLabels('log_loss', labels);
  const p = toNumbers(predictions, 'predictions');
  return meanOf(n, (i) => {
    const prob = Math.min(Math.max(p[i] as number, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    const complement = 1 - prob;
    // scikit-learn renormalises each row [1 - p, p] by its sum, which is not always exactly 1.
    const sum = complement + prob;
    return -Math.log((positive[i] === 1 ? prob : complement) / sum);
  });
}

/** Splits scores by label and sorts each part ascending. */
function sortedScores(positive: Uint8Array, scores: Float64Array): [Float64Array, Float64Array] {
  let count = 0;
  for (const flag of positive) count += flag;
  const pos = new Float64Array(count);
  const neg = new Float64Array(positive.length - count);
  let a = 0;
  let b = 0;
  for (let i = 0; i < positive.length; i++) {
    if (positive[i] === 1) pos[a++] = scores[i] as number;
    else neg[b++] = scores[i] as number;
  }
  return [sortNumbers(pos), sortNumbers(neg)];
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic: ties count one half, which equals
 * scikit-learn's trapezoids over tied thresholds.
 */
export function rocAuc(labels: MetricValues, predictions: MetricValues): number {
  checkLengths(labels, predictions);
  const [pos, neg] = sortedScores(binaryLabels('roc_auc', labels), toNumbers(predictions, 'predictions'));
  let below = 0;
  let wins = 0;
  for (let i = 0; i < pos.length; ) {
    const score = pos[i] as number;
    while (below < neg.length && (neg[below] as number) < score) below++;
    let tied = below;
    while (tied < neg.length && neg[tied] === score) tied++;
    let same = i;
    while (same < pos.length && pos[same] === score) same++;
    wins += (same - i) * (below + (tied - below) / 2);
    i = same;
  }
  return wins / (pos.length * neg.length);
}

/**
 * Average precision of the positive class 1 (scikit-learn's pos_label=1): the sum over distinct
 * thresholds, highest first, of precision × the recall gained. No positive rows gives 0, as
 * scikit-learn does after warning.
 */
export function averagePrecision(labels: MetricValues, predictions: MetricValues): number {
  checkLengths(labels, predictions);
  const { labels: codes, classes } = encodeLabels(labels);
  if (classes.length > 2) {
    throw new MetricError(`average_precision supports binary labels only; the labels hold ${classes.length} classes`);
  }
  const positiveCode = positiveIndex(classes);
  if (positiveCode < 0 && classes.length === 2) {
    throw new MetricError(`average_precision needs the positive class 1, but the classes are ${listClasses(classes)}`);
  }
  const positive = codes.map((code) => (code === positiveCode ? 1 : 0));
  const [pos, neg] = sortedScores(Uint8Array.from(positive), toNumbers(predictions, 'predictions'));
  if (pos.length === 0) return 0;
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  let recalled = 0;
  let sum = 0;
  while (i >= 0) {
    const top = j >= 0 && (neg[j] as number) > (pos[i] as number) ? (neg[j] as number) : (pos[i] as number);
    while (i >= 0 && pos[i] === top) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === top) {
      fp++;
      j--;
    }
    const recall = tp / pos.length;
    sum += (recall - recalled) * (tp / (tp + fp));
    recalled = recall;
  }
  return sum;
}
