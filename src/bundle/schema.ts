import { z } from 'zod';
import type { CompetitionConfig, DataConfig, MetricSpec, Phase, SplitSpec } from '../domain/competition.js';
import { defaultLayout, type Limits, type RunLayout } from '../domain/limits.js';
import { command, describeValue, duration, isoDate, relativePath, runPath, size } from './fields.js';
import { higherIsBetterByDefault, isKnownMetric, knownMetrics } from './metrics.js';
import { didYouMean } from './suggest.js';

const MiB = 1024 ** 2;

/** Limits of a bundle that sets none. */
export const defaultLimits: Readonly<Limits> = Object.freeze({
  wallTimeMs: 10 * 60_000,
  memoryBytes: 2 * 1024 * MiB,
  cpus: 1,
  pids: 256,
  outputBytes: 100 * MiB,
  logBytes: 1 * MiB,
  gpus: 0,
});

const bundlePath = relativePath('the bundle');

const slug = z.string().superRefine((value, ctx) => {
  if (!/^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$/.test(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be 3 to 40 lowercase letters, digits or hyphens, starting and ending with a letter or digit, got ${describeValue(value)}`,
    });
  }
});

const limits = z
  .strictObject({
    wall_time: duration.default(defaultLimits.wallTimeMs),
    memory: size.default(defaultLimits.memoryBytes),
    cpus: z.number().positive().max(1024).default(defaultLimits.cpus),
    pids: z.int().min(1).default(defaultLimits.pids),
    output: size.default(defaultLimits.outputBytes),
    log: size.default(defaultLimits.logBytes),
    gpus: z.int().min(0).default(defaultLimits.gpus),
  })
  .transform(
    (l): Limits => ({
      wallTimeMs: l.wall_time,
      memoryBytes: l.memory,
      cpus: l.cpus,
      pids: l.pids,
      outputBytes: l.output,
      logBytes: l.log,
      gpus: l.gpus,
    }),
  )
  .prefault({});

const layout = z
  .strictObject({
    code: runPath.default(defaultLayout.code),
    data: runPath.default(defaultLayout.data),
    output: runPath.default(defaultLayout.output),
  })
  .superRefine((l, ctx) => {
    const keys = ['code', 'data', 'output'] as const;
    for (const [i, a] of keys.entries()) {
      for (const b of keys.slice(i + 1)) {
        const [x, y] = [l[a], l[b]];
        // Nested folders would be mounted over one another: the inner mount would hide or leak.
        if (x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`)) {
          ctx.addIssue({ code: 'custom', path: [b], message: `must be distinct from layout.${a} and not inside it or around it, got "${y}" and "${x}"` });
        }
      }
    }
  })
  .transform((l): RunLayout => ({ code: l.code, data: l.data, output: l.output }))
  .prefault({});

const smoke = z.strictObject({ features: bundlePath, labels: bundlePath, submission_format: bundlePath });

const data = z
  .strictObject({
    // A single path is accepted for a list of one.
    public: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(bundlePath)).default([]),
    test_features: bundlePath,
    labels: bundlePath,
    submission_format: bundlePath,
    smoke: smoke.optional(),
  })
  .transform(
    (d): DataConfig => ({
      public: d.public,
      testFeatures: d.test_features,
      labels: d.labels,
      submissionFormat: d.submission_format,
      ...(d.smoke === undefined ? {} : { smoke: { features: d.smoke.features, labels: d.smoke.labels, submissionFormat: d.smoke.submission_format } }),
    }),
  );

const metricName = z.string().superRefine((name, ctx) => {
  if (!isKnownMetric(name)) {
    ctx.addIssue({ code: 'custom', message: `unknown metric "${name}"${didYouMean(name, knownMetrics)}; known metrics: ${knownMetrics.join(', ')}` });
  }
});

const metric = z.preprocess(
  // `primary: accuracy` is short for `primary: { metric: accuracy }`.
  (v) => (typeof v === 'string' ? { metric: v } : v),
  z
    .strictObject({ metric: metricName, higher_is_better: z.boolean().optional(), column: z.string().min(1).optional() })
    .transform((m): MetricSpec => ({
      metric: m.metric,
      higherIsBetter: m.higher_is_better ?? (isKnownMetric(m.metric) ? higherIsBetterByDefault(m.metric) : true),
      ...(m.column === undefined ? {} : { column: m.column }),
    })),
);

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

const scoring = z
  .strictObject({ primary: metric, extra: z.array(metric).default([]), split })
  .superRefine((s, ctx) => {
    const seen = new Set([`${s.primary.metric}\0${s.primary.column ?? ''}`]);
    s.extra.forEach((m, i) => {
      const key = `${m.metric}\0${m.column ?? ''}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['extra', i, 'metric'], message: `repeats metric "${m.metric}"` });
      seen.add(key);
    });
  });

const iso = (d: Date) => d.toISOString();

const phase = z
  .strictObject({ name: z.string().trim().min(1).max(60), start: isoDate, end: isoDate.optional(), daily_quota: z.int().min(1).default(5) })
  .superRefine((p, ctx) => {
    if (p.end !== undefined && p.end <= p.start) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: `must be after start (${iso(p.start)}), got ${iso(p.end)}` });
    }
  })
  .transform((p): Phase => ({ name: p.name, start: p.start, ...(p.end === undefined ? {} : { end: p.end }), dailyQuota: p.daily_quota }));

const phases = z
  .array(phase)
  .min(1)
  .superRefine((list, ctx) => {
    const names = new Map<string, number>();
    list.forEach((p, i) => {
      const first = names.get(p.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${p.name}" is already the name of phases[${first}]` });
      else names.set(p.name, i);
    });
    // Phases must not overlap: the open phase decides the quota and the split of a submission.
    const order = list.map((p, i) => ({ p, i })).sort((a, b) => a.p.start.getTime() - b.p.start.getTime());
    for (let k = 1; k < order.length; k++) {
      const before = order[k - 1]!;
      const after = order[k]!;
      if (before.p.end === undefined || before.p.end > after.p.start) {
        const until = before.p.end === undefined ? 'has no end' : `ends ${iso(before.p.end)}`;
        ctx.addIssue({
          code: 'custom',
          path: [after.i, 'start'],
          message: `overlaps phase "${before.p.name}" (starts ${iso(before.p.start)}, ${until}); phases must not overlap`,
        });
      }
    }
  });

/** What `competition.yaml` parses to: the config, except that `description` is still as written. */
export type ParsedCompetition = CompetitionConfig;

const idColumn = z.string().min(1).default('id');

/**
 * The schema of `competition.yaml`. Unknown keys are errors at every level, so that a typo
 * (`phase:` for `phases:`) is reported rather than silently ignored.
 */
export const competitionSchema = z
  .strictObject({
    slug,
    title: z.string().trim().min(1).max(200),
    description: z.string().default(''),
    runtime: z.string().trim().min(1).default('host'),
    entrypoint: command.default(['python', 'main.py']),
    limits,
    layout,
    predictions_file: relativePath('the output folder').default('submission.csv'),
    id_column: idColumn,
    data,
    scoring,
    phases,
  })
  .transform(
    (c): ParsedCompetition => ({
      slug: c.slug,
      title: c.title,
      description: c.description,
      runtime: c.runtime,
      entrypoint: c.entrypoint,
      limits: c.limits,
      layout: c.layout,
      predictionsFile: c.predictions_file,
      idColumn: c.id_column,
      data: c.data,
      scoring: c.scoring,
      phases: c.phases,
    }),
  );

/** Parts of the schema, for checks that need one section even when another is invalid. */
export const sectionSchemas = { data, scoring, idColumn } as const;
