/**
 * Metric names a bundle may use, with whether a higher value is better. The scorer implements
 * each of them; a bundle naming another is rejected when it is loaded, not when the first
 * submission is scored.
 */
export const metricDirections = {
  accuracy: true,
  balanced_accuracy: true,
  f1_macro: true,
  f1_micro: true,
  f1_weighted: true,
  f1_binary: true,
  precision_macro: true,
  recall_macro: true,
  roc_auc: true,
  average_precision: true,
  r2: true,
  jaccard: true,
  mask_iou: true,
  f1_micro_multilabel: true,
  f1_macro_multilabel: true,
  jaccard_samples: true,
  log_loss: false,
  rmse: false,
  mae: false,
  mape: false,
} as const satisfies Record<string, boolean>;

/** A metric name the platform knows. */
export type KnownMetric = keyof typeof metricDirections;

/** Every metric name a bundle may use, sorted. */
export const knownMetrics: readonly KnownMetric[] = Object.freeze(
  (Object.keys(metricDirections) as KnownMetric[]).sort(),
);

/** Metrics over several 0/1 target columns together: the only ones a bundle may give `columns:`. */
export const multiLabelMetricNames: ReadonlySet<KnownMetric> = new Set<KnownMetric>(['f1_micro_multilabel', 'f1_macro_multilabel', 'jaccard_samples']);

export function isKnownMetric(name: string): name is KnownMetric {
  return Object.hasOwn(metricDirections, name);
}

/** Ranking metrics, named with their cut-off: `map`, `map@10`, `ndcg`, `ndcg@5` (higher is better). */
export const rankingMetricPattern = /^(map|ndcg)(?:@([1-9]\d{0,5}))?$/;

/** Whether a higher value of a known metric is better (accuracy) or worse (rmse). */
export function higherIsBetterByDefault(metric: KnownMetric): boolean {
  return metricDirections[metric];
}
