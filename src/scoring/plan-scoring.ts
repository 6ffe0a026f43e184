import type { ScoringConfig } from '../domain/competition.js';
import type { Metric } from './metrics/metric.js';
import { findMetric } from './metrics/registry.js';
import { ScoringError } from './scoring-error.js';
import type { SubmissionFormat } from './submission-format.js';

/** How one predictions column is checked and whether it is kept for scoring. */
export interface ColumnRule {
  /** Values must be finite numbers: the format's values are, or a metric computes with them. */
  numeric: boolean;
  /** Numeric class labels: whole numbers only (scikit-learn rejects continuous classes). */
  wholeNumbers: boolean;
  /** Name of a metric that needs probabilities in [0, 1] from this column, if any. */
  probabilityFor: string | undefined;
  /** A metric reads this column. */
  keep: boolean;
}

export interface PlannedMetric {
  /** The key in the outcome's scores: the metric's name. */
  name: string;
  metric: Metric;
  column: string;
}

export interface ScoringPlan {
  metrics: PlannedMetric[];
  /** Distinct columns metrics read. */
  columns: string[];
  /** Per column of the format's header; the id column's rule checks nothing. */
  rules: ColumnRule[];
}

/**
 * Resolves the configured metrics against the registry and the submission format (none for a
 * scoring program, whose metric names are keys of its scores file).
 * @throws ScoringError for an unknown metric, a metric named twice, or a column the format lacks.
 */
export function planScoring(format: SubmissionFormat, scoring: ScoringConfig): ScoringPlan {
  const defaultColumn = format.header.find((_, at) => at !== format.idColumn);
  // A scoring program computes its own metrics: predictions are checked against the format only.
  const specs = scoring.program === undefined ? [scoring.primary, ...scoring.extra] : [];
  const metrics = specs.map((spec): PlannedMetric => {
    const metric = findMetric(spec.metric);
    if (metric === undefined) throw new ScoringError(`unknown metric ${JSON.stringify(spec.metric)}`);
    const column = spec.column ?? defaultColumn;
    if (column === undefined) throw new ScoringError('the submission format has no column besides the id');
    if (!format.header.includes(column) || column === format.header[format.idColumn]) {
      const what = `metric ${spec.metric} reads column ${JSON.stringify(column)}`;
      throw new ScoringError(`${what}, which is not a value column of the submission format`);
    }
    return { name: spec.metric, metric, column };
  });
  const names = metrics.map((m) => m.name);
  const repeated = names.find((name, at) => names.indexOf(name) !== at);
  if (repeated !== undefined) throw new ScoringError(`metric ${repeated} is configured twice`);
  const rules = format.header.map((name, at): ColumnRule => {
    const users = at === format.idColumn ? [] : metrics.filter((m) => m.column === name);
    const numeric = (format.numeric[at] ?? false) || users.some((m) => m.metric.predictions !== 'classes');
    return {
      numeric,
      wholeNumbers: numeric && users.some((m) => m.metric.predictions === 'classes'),
      probabilityFor: users.find((m) => m.metric.needsProbabilities)?.name,
      keep: users.length > 0,
    };
  });
  return { metrics, columns: [...new Set(metrics.map((m) => m.column))], rules };
}
