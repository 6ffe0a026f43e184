import type { ScoringConfig } from '../domain/competition.js';
import type { Metric, MultiLabelMetric } from './metrics/metric.js';
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
  /** Name of a multi-label metric that needs 0 or 1 in this column, if any. */
  indicatorFor: string | undefined;
  /** Name of a metric that needs an RLE mask in each cell of this column, if any. */
  maskFor: string | undefined;
  /** A metric reads this column. */
  keep: boolean;
}

export interface PlannedMetric {
  /** The key in the outcome's scores: the metric's name. */
  name: string;
  metric: Metric | MultiLabelMetric;
  /** The column a single-column metric reads, or the target columns of a multi-label one, in order. */
  columns: string[];
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
  const valueColumns = format.header.filter((_, at) => at !== format.idColumn);
  const metrics = specs.map((spec): PlannedMetric => {
    const metric = findMetric(spec.metric);
    if (metric === undefined) throw new ScoringError(`unknown metric ${JSON.stringify(spec.metric)}`);
    const multiLabel = 'multiLabel' in metric;
    if (!multiLabel && spec.columns !== undefined) throw new ScoringError(`metric ${spec.metric} reads one column, not several`);
    const columns = multiLabel ? (spec.columns ?? (spec.column === undefined ? valueColumns : [spec.column])) : [spec.column ?? defaultColumn];
    for (const column of columns) {
      if (column === undefined) throw new ScoringError('the submission format has no column besides the id');
      if (!valueColumns.includes(column)) {
        const what = `metric ${spec.metric} reads column ${JSON.stringify(column)}`;
        throw new ScoringError(`${what}, which is not a value column of the submission format`);
      }
    }
    return { name: spec.metric, metric, columns: columns as string[] };
  });
  const names = metrics.map((m) => m.name);
  const repeated = names.find((name, at) => names.indexOf(name) !== at);
  if (repeated !== undefined) throw new ScoringError(`metric ${repeated} is configured twice`);
  const rules = format.header.map((name, at): ColumnRule => {
    const users = at === format.idColumn ? [] : metrics.filter((m) => m.columns.includes(name));
    const kinds = new Set(users.map((m) => m.metric.predictions));
    // Masks are text whatever the format holds: "1 3" is one cell.
    const numeric = !kinds.has('masks') && !kinds.has('ranking') && ((format.numeric[at] ?? false) || kinds.has('numbers') || kinds.has('probabilities') || kinds.has('indicators'));
    return {
      numeric,
      wholeNumbers: numeric && (kinds.has('classes') || kinds.has('indicators')),
      probabilityFor: users.find((m) => m.metric.needsProbabilities)?.name,
      indicatorFor: users.find((m) => m.metric.predictions === 'indicators')?.name,
      maskFor: users.find((m) => m.metric.predictions === 'masks')?.name,
      keep: users.length > 0,
    };
  });
  return { metrics, columns: [...new Set(metrics.flatMap((m) => m.columns))], rules };
}
