import { z } from 'zod';
import type { MetricSpec, ScoringConfig, ScoringProgram, SplitSpec } from '../domain/competition.js';
import { command, relativePath } from './fields.js';
import { limitsSchema } from './limits-schema.js';
import { higherIsBetterByDefault, isKnownMetric, type KnownMetric, knownMetrics, multiLabelMetricNames, rankingMetricPattern } from './metrics.js';
import { didYouMean } from './suggest.js';

const metric = z.preprocess(
  // `primary: accuracy` is short for `primary: { metric: accuracy }`.
  (v) => (typeof v === 'string' ? { metric: v } : v),
  z.strictObject({
    metric: z.string().trim().min(1),
    higher_is_better: z.boolean().optional(),
    column: z.string().min(1).optional(),
    columns: z
      .array(z.string().min(1))
      .min(2, 'list two or more target columns (one column is a binary task: use f1_binary or jaccard)')
      .refine((c) => new Set(c).size === c.length, 'names a column twice')
      .optional(),
  }),
);
type MetricInput = z.output<typeof metric>;

const split = z
  .strictObject({
    column: z.string().min(1).optional(),
    public: z.string().min(1).optional(),
    private: z.string().min(1).optional(),
    seed: z.int().min(0).optional(),
    public_fraction: z.number().gt(0).lt(1).optional(),
  })
  .superRefine((s, ctx) => {
    const byColumn = s.column !== undefined || s.public !== undefined || s.private !== undefined;
    const seeded = s.seed !== undefined || s.public_fraction !== undefined;
    if (byColumn && seeded) {
      ctx.addIssue({
        code: 'custom',
        message: 'use either column/public/private (a split column in the labels) or seed/public_fraction (a seeded random split), not both',
      });
    } else if (seeded) {
      if (s.seed === undefined) ctx.addIssue({ code: 'custom', path: ['seed'], message: 'required for a seeded split (a whole number)' });
      if (s.public_fraction === undefined) ctx.addIssue({ code: 'custom', path: ['public_fraction'], message: 'required for a seeded split (between 0 and 1)' });
    } else if ((s.public ?? 'Public') === (s.private ?? 'Private')) {
      ctx.addIssue({ code: 'custom', path: ['private'], message: `must differ from the public value "${s.public ?? 'Public'}"` });
    }
  })
  .transform((s): SplitSpec =>
    s.seed !== undefined && s.public_fraction !== undefined
      ? { kind: 'seeded', seed: s.seed, publicFraction: s.public_fraction }
      : { kind: 'column', column: s.column ?? 'usage', publicValue: s.public ?? 'Public', privateValue: s.private ?? 'Private' },
  )
  .prefault({});

/**
 * `program: scorer/` or `program: { path, command, runtime, limits }`. An empty `command` is left
 * for `loadBundle` to take from the program's `metadata.yaml` or `metadata` file.
 */
const program = z.preprocess(
  (v) => (typeof v === 'string' ? { path: v } : v),
  z
    .strictObject({
      path: relativePath('the bundle'),
      command: command.optional(),
      runtime: z.string().trim().min(1).optional(),
      limits: limitsSchema,
      // raw: Codabench's way, every file the run wrote and the whole reference data, no split.
      input: z.enum(['parts', 'raw']).default('parts'),
      // The scores key where a raw program reports the reference rows it scored, and how many there are.
      rows_key: z.string().trim().min(1).optional(),
      label_rows: z.int().min(1).optional(),
    })
    .superRefine((p, ctx) => {
      if (p.input !== 'raw') {
        for (const key of ['rows_key', 'label_rows'] as const) {
          if (p[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'applies to input: raw only: with parts, Holdout checks every row of the predictions against the submission format before the program runs' });
        }
      } else if (p.label_rows !== undefined && p.rows_key === undefined) {
        ctx.addIssue({ code: 'custom', path: ['rows_key'], message: 'required with label_rows: the scores key in which the program reports how many rows it scored' });
      }
    })
    .transform(
      (p): ScoringProgram => ({
        dir: p.path,
        command: p.command ?? [],
        ...(p.runtime === undefined ? {} : { runtime: p.runtime }),
        limits: p.limits,
        ...(p.input === 'raw' ? { input: 'raw' as const } : {}),
        ...(p.rows_key === undefined ? {} : { rows: { key: p.rows_key, ...(p.label_rows === undefined ? {} : { expected: p.label_rows }) } }),
      }),
    ),
);

/** The metrics' names and directions, checked against the built-in ones or, with a program, free. */
function checkMetrics(metrics: ReadonlyArray<[path: Array<string | number>, MetricInput]>, withProgram: boolean, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  for (const [path, m] of metrics) {
    const key = `${m.metric}\0${m.column ?? ''}\0${(m.columns ?? []).join('\0')}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [...path, 'metric'], message: `repeats metric "${m.metric}"` });
    seen.add(key);
    if (!withProgram) {
      if (!isKnownMetric(m.metric) && !rankingMetricPattern.test(m.metric)) {
        const message = `unknown metric "${m.metric}"${didYouMean(m.metric, knownMetrics)}; known metrics: ${knownMetrics.join(', ')}, map[@K], ndcg[@K]`;
        ctx.addIssue({ code: 'custom', path: [...path, 'metric'], message });
      } else if (m.columns !== undefined && !multiLabelMetricNames.has(m.metric as KnownMetric)) {
        const message = `applies to the multi-label metrics only (${[...multiLabelMetricNames].join(', ')}); "${m.metric}" reads one column: use column`;
        ctx.addIssue({ code: 'custom', path: [...path, 'columns'], message });
      } else if (m.columns !== undefined && m.column !== undefined) {
        ctx.addIssue({ code: 'custom', path: [...path, 'column'], message: 'give either column or columns, not both' });
      }
      continue;
    }
    if (m.column !== undefined || m.columns !== undefined) {
      const message = 'applies to built-in metrics only: a scoring program reads the labels and predictions files itself';
      ctx.addIssue({ code: 'custom', path: [...path, m.column === undefined ? 'columns' : 'column'], message });
    }
    // The direction ranks the leaderboard: guessing it for a name of the host's own would be a silent error.
    if (path[0] === 'primary' && m.higher_is_better === undefined && !isKnownMetric(m.metric) && !rankingMetricPattern.test(m.metric)) {
      const message = `required: say whether a higher "${m.metric}" is better (true) or worse (false); it comes from the scoring program`;
      ctx.addIssue({ code: 'custom', path: [...path, 'higher_is_better'], message });
    }
  }
}

function toSpec(m: MetricInput): MetricSpec {
  return {
    metric: m.metric,
    higherIsBetter: m.higher_is_better ?? (isKnownMetric(m.metric) ? higherIsBetterByDefault(m.metric) : true),
    ...(m.column === undefined ? {} : { column: m.column }),
    ...(m.columns === undefined ? {} : { columns: m.columns }),
  };
}

/**
 * The `scoring:` section: built-in metrics (`primary`, `extra`, by name), or a scoring `program`
 * whose scores file gives values for the names `primary` and `extra` list. `split` divides the
 * label rows into the public and the private part either way.
 */
export const scoringSchema = z
  .strictObject({ primary: metric, extra: z.array(metric).default([]), split, program: program.optional() })
  .superRefine((s, ctx) => {
    const metrics: Array<[Array<string | number>, MetricInput]> = [[['primary'], s.primary], ...s.extra.map((m, i): [Array<string | number>, MetricInput] => [['extra', i], m])];
    checkMetrics(metrics, s.program !== undefined, ctx);
  })
  .transform(
    (s): ScoringConfig => ({
      primary: toSpec(s.primary),
      extra: s.extra.map(toSpec),
      split: s.split,
      ...(s.program === undefined ? {} : { program: s.program }),
    }),
  );
