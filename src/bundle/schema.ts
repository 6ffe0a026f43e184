import { z } from 'zod';
import { defaultFinalSelections, predictionsFormats, type CompetitionConfig, type DataConfig, type Phase } from '../domain/competition.js';
import { parseImageReference, runtimeNameOfImage } from '../domain/image-reference.js';
import { defaultLayout, type RunLayout } from '../domain/limits.js';
import { defaultLogPolicy, logVisibilities, type LogPolicy } from '../domain/log-visibility.js';
import { command, describeValue, isoDate, relativePath, runPath } from './fields.js';
import { harnessSchema } from './harness-schema.js';
import { limitsSchema } from './limits-schema.js';
import { scoringSchema } from './scoring-schema.js';

export { defaultLimits } from './limits-schema.js';

const bundlePath = relativePath('the bundle');

const slug = z.string().superRefine((value, ctx) => {
  if (!/^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$/.test(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be 3 to 40 lowercase letters, digits or hyphens, starting and ending with a letter or digit, got ${describeValue(value)}`,
    });
  }
});

const limits = limitsSchema;

const runtimeName = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/, 'must be "host", a runtime recipe name such as "python-ml" (lowercase letters, digits, "-"), or { image: registry/repo@sha256:… }');

/** The runtime setting as parsed: a name, and the image for `runtime: { image }`. */
interface RuntimeField {
  name: string;
  image?: string;
  digest?: string;
}

const imageForm = z
  .strictObject({
    image: z
      .string()
      .trim()
      .refine((ref) => parseImageReference(ref) !== undefined, {
        message: 'must be an image reference such as registry.example:5000/holdout/python-ml@sha256:<64 hex> ("holdout runtime push" prints one)',
      }),
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be an image ID, sha256:<64 hex> ("holdout runtime pull" prints it)').optional(),
    name: runtimeName.refine((n) => n !== 'host', '"host" is the machine\'s own /usr, not a name for an image').optional(),
  })
  .transform((r): RuntimeField => {
    const ref = parseImageReference(r.image);
    return { name: r.name ?? (ref ? runtimeNameOfImage(ref) : 'image'), image: r.image, ...(r.digest ? { digest: r.digest } : {}) };
  });

/**
 * `runtime: python-ml` (a recipe built on the installing host), `runtime: host`, or any image:
 * `runtime: { image: registry.example:5000/holdout/python-ml@sha256:…, digest?: sha256:<image ID>,
 * name?: python-ml }`. The image's ID is recorded at install; `digest`, when given, must match it.
 * @remarks Not a z.union: a union reports "no option matched" and hides which field is wrong.
 */
const runtime = z.unknown().transform((value, ctx): RuntimeField => {
  const form = typeof value === 'string' ? runtimeName.transform((name): RuntimeField => ({ name })) : typeof value === 'object' && value !== null && !Array.isArray(value) ? imageForm : undefined;
  if (form === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be "host", a runtime recipe name such as "python-ml", or { image: registry/repo@sha256:… }, got ${describeValue(value)}` });
    return z.NEVER;
  }
  const parsed = form.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

/** `layout: drivendata`: DrivenData's working folder, main.py beside `data/` and `submission/`. */
const drivenDataLayout = { code: '/code_execution', data: '/code_execution/data', output: '/code_execution/submission' };

const layout = z
  .preprocess((v) => (v === 'drivendata' ? drivenDataLayout : v), z.strictObject({
    code: runPath.default(defaultLayout.code),
    data: runPath.default(defaultLayout.data),
    output: runPath.default(defaultLayout.output),
  }))
  .superRefine((l, ctx) => {
    const keys = ['code', 'data', 'output'] as const;
    for (const [i, a] of keys.entries()) {
      for (const b of keys.slice(i + 1)) {
        const [x, y] = [l[a], l[b]];
        // Data and output may lie inside the code folder (mounted over it, as DrivenData's); any
        // other nesting would hide a folder or leak one into another.
        if (a === 'code' && y.startsWith(`${x}/`)) continue;
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

/**
 * What `competition.yaml` parses to: the config, except that `description` is still as written
 * and a scoring program's `command` is empty when the program's metadata file is to give it
 * (`loadBundle` reads it).
 */
export type ParsedCompetition = CompetitionConfig;

const idColumn = z.string().min(1).default('id');

const logVisibility = z.enum(logVisibilities, {
  error: (issue) => `expected one of ${logVisibilities.map((v) => `"${v}"`).join(', ')}, got ${describeValue(issue.input)}`,
});

/** What participants may read of their logs; full runs' logs can leak test data. */
const logs = z
  .strictObject({
    full_runs: logVisibility.default(defaultLogPolicy.fullRuns),
    smoke_runs: logVisibility.default(defaultLogPolicy.smokeRuns),
  })
  .transform((l): LogPolicy => ({ fullRuns: l.full_runs, smokeRuns: l.smoke_runs }))
  .prefault({});

/**
 * The schema of `competition.yaml`. Unknown keys are errors at every level, so that a typo
 * (`phase:` for `phases:`) is reported rather than silently ignored.
 */
export const competitionSchema = z
  .strictObject({
    slug,
    title: z.string().trim().min(1).max(200),
    description: z.string().default(''),
    runtime: runtime.default({ name: 'host' }),
    entrypoint: command.default(['python', 'main.py']),
    harness: harnessSchema.optional(),
    limits,
    layout,
    predictions_file: relativePath('the output folder').default('submission.csv'),
    predictions_format: z.enum(predictionsFormats).default('csv'),
    id_column: idColumn,
    data,
    scoring: scoringSchema,
    phases,
    logs,
    final_selections: z.int().min(1).max(20).default(defaultFinalSelections),
  })
  .superRefine((c, ctx) => {
    // A scoring program is handed the predictions as CSV parts; JSON lines would need converting.
    if (c.predictions_format === 'jsonl' && c.scoring.program !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['predictions_format'], message: 'jsonl works with the built-in metrics only; a scoring program reads CSV predictions' });
    }
  })
  .transform(
    (c): ParsedCompetition => ({
      slug: c.slug,
      title: c.title,
      description: c.description,
      runtime: c.runtime.name,
      // A declared image ID is checked at install, which then records it as runtimeDigest.
      ...('image' in c.runtime ? { runtimeImage: c.runtime.image, ...(c.runtime.digest ? { runtimeDigest: c.runtime.digest } : {}) } : {}),
      entrypoint: c.entrypoint,
      ...(c.harness === undefined ? {} : { harness: c.harness }),
      limits: c.limits,
      layout: c.layout,
      predictionsFile: c.predictions_file,
      ...(c.predictions_format === 'csv' ? {} : { predictionsFormat: c.predictions_format }),
      idColumn: c.id_column,
      data: c.data,
      scoring: c.scoring,
      phases: c.phases,
      logs: c.logs,
      finalSelections: c.final_selections,
    }),
  );

/** Parts of the schema, for checks that need one section even when another is invalid. */
export const sectionSchemas = { data, scoring: scoringSchema, idColumn } as const;
