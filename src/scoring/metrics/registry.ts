import {
  accuracy,
  balancedAccuracy,
  f1Binary,
  f1Macro,
  f1Micro,
  f1Weighted,
  jaccardBinary,
  precisionMacro,
  recallMacro,
} from './classification.js';
import type { Metric, MetricFn, MultiLabelFn, MultiLabelMetric, PredictionKind } from './metric.js';
import { f1MacroMultiLabel, f1MicroMultiLabel, jaccardSamples } from './multi-label.js';
import { averagePrecision, logLoss, rocAuc } from './probability.js';
import { mae, mape, r2, rmse } from './regression.js';
import { rankingMetric } from './ranking.js';
import { maskIou } from './rle-mask.js';

const metric = (fn: MetricFn, higherIsBetter: boolean, predictions: PredictionKind): Metric =>
  Object.freeze({ fn, higherIsBetter, needsProbabilities: predictions === 'probabilities', predictions });

/**
 * The built-in metrics by the name a bundle uses, each matching scikit-learn 1.2 (Debian's) on the
 * same values, edge cases included.
 *
 * @remarks Binary metrics (`f1_binary`, `jaccard`, `average_precision`) take the class 1 as positive,
 * scikit-learn's default `pos_label=1`; `log_loss` and `roc_auc` take the larger of the two label
 * classes, as scikit-learn does. `jaccard` is the binary Jaccard index, `jaccard_score`'s default.
 * `mape` is a fraction, not a percentage. `mask_iou` compares run-length-encoded pixel masks row by
 * row (see `maskIou`). Where scikit-learn raises, or returns NaN, a metric throws
 * a `MetricError`.
 */
export const metrics: Readonly<Record<string, Metric>> = Object.freeze({
  accuracy: metric(accuracy, true, 'classes'),
  balanced_accuracy: metric(balancedAccuracy, true, 'classes'),
  f1_macro: metric(f1Macro, true, 'classes'),
  f1_micro: metric(f1Micro, true, 'classes'),
  f1_weighted: metric(f1Weighted, true, 'classes'),
  f1_binary: metric(f1Binary, true, 'classes'),
  precision_macro: metric(precisionMacro, true, 'classes'),
  recall_macro: metric(recallMacro, true, 'classes'),
  jaccard: metric(jaccardBinary, true, 'classes'),
  rmse: metric(rmse, false, 'numbers'),
  mae: metric(mae, false, 'numbers'),
  r2: metric(r2, true, 'numbers'),
  mape: metric(mape, false, 'numbers'),
  log_loss: metric(logLoss, false, 'probabilities'),
  roc_auc: metric(rocAuc, true, 'probabilities'),
  average_precision: metric(averagePrecision, true, 'probabilities'),
  mask_iou: metric(maskIou, true, 'masks'),
});

const multiLabel = (fn: MultiLabelFn): MultiLabelMetric =>
  Object.freeze({ multiLabel: true, fn, higherIsBetter: true, needsProbabilities: false, predictions: 'indicators' });

/**
 * Metrics over several 0/1 target columns at once (a bundle's `columns:`, by default every value
 * column of the submission format), matching scikit-learn on the multi-label indicator matrix.
 * @remarks Labels or predictions other than 0 and 1 are refused (scikit-learn would take them for
 * a multi-output target and raise).
 */
export const multiLabelMetrics: Readonly<Record<string, MultiLabelMetric>> = Object.freeze({
  f1_micro_multilabel: multiLabel(f1MicroMultiLabel),
  f1_macro_multilabel: multiLabel(f1MacroMultiLabel),
  jaccard_samples: multiLabel(jaccardSamples),
});

/** The metric registered under `name`, if any (own properties only: "constructor" is not a metric). */
export function findMetric(name: string): Metric | MultiLabelMetric | undefined {
  if (Object.hasOwn(metrics, name)) return metrics[name];
  if (Object.hasOwn(multiLabelMetrics, name)) return multiLabelMetrics[name];
  const ranking = rankingMetric(name);
  return ranking === undefined ? undefined : metric(ranking, true, 'ranking');
}
