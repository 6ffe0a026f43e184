import { z } from 'zod';
import { defaultFinalSelections, predictionsFormats, submissionModes, type CompetitionConfig, type ComputeBudget, type DataConfig, type Phase, type PhaseOwn, type Scheduling } from '../domain/competition.js';
import { defaultLayout, type RunLayout } from '../domain/limits.js';
import { defaultLogPolicy, logVisibilities, type LogPolicy } from '../domain/log-visibility.js';
import { resourceColumns, type PrizeLimits } from '../domain/resource-usage.js';
import { command, describeValue, duration, isoDate, relativePath, runPath, size } from './fields.js';
import { harnessSchema } from './harness-schema.js';
import { limitsSchema } from './limits-schema.js';
import { runtimeSchema } from './runtime-schema.js';
import { scoringSchema } from './scoring-schema.js';
import { bundleErrorMap } from './zod-issues.js';

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
    // Optional here; required of a phase that takes code (test features) or of CSV scoring (format).
    test_features: bundlePath.optional(),
    labels: bundlePath,
    submission_format: bundlePath.optional(),
    smoke: smoke.optional(),
  })
  .transform(
    (d): DataConfig => ({
      public: d.public,
      ...(d.test_features === undefined ? {} : { testFeatures: d.test_features }),
      labels: d.labels,
      ...(d.submission_format === undefined ? {} : { submissionFormat: d.submission_format }),
      ...(d.smoke === undefined ? {} : { smoke: { features: d.smoke.features, labels: d.smoke.labels, submissionFormat: d.smoke.submission_format } }),
    }),
  );

const iso = (d: Date) => d.toISOString();

const weeklyBudget = z.strictObject({ cpu_time: duration.optional(), gpu_time: duration.optional() }).transform((b): ComputeBudget => ({
  ...(b.cpu_time === undefined ? {} : { cpuMs: b.cpu_time }),
  ...(b.gpu_time === undefined ? {} : { gpuMs: b.gpu_time }),
}));

/**
 * `schema` when the key is given, else undefined: `.optional()` would fill a schema's defaults
 * in, and a phase would seem to own limits it never set.
 */
function absentOr<T>(schema: () => z.ZodType<T>) {
  return z.unknown().transform((value, ctx): T | undefined => {
    if (value === undefined) return undefined;
    const parsed = schema().safeParse(value, { error: bundleErrorMap });
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      const lines = issue.message.split('\n');
      keys.forEach((key, i) => ctx.addIssue({ code: 'custom', message: lines[i] ?? lines[0] ?? issue.message, path: key === undefined ? issue.path : [...issue.path, key] }));
    }
    return z.NEVER;
  }).optional();
}

/** A phase: its window and quotas, and whatever it owns instead of the competition (see `phaseConfig`). */
const phase = z
  .strictObject({
    name: z.string().trim().min(1).max(60),
    start: isoDate,
    end: isoDate.optional(),
    daily_quota: z.int().min(1).default(5),
    failed_quota: z.int().min(0).optional(),
    weekly_budget: weeklyBudget.optional(),
    total_quota: z.int().min(1).optional(),
    submission: z.enum(submissionModes).default('code'),
    // Merged over the competition's own (see `inheritOwn`), so a phase names only what differs.
    data: absentOr(() => data),
    limits: absentOr(() => limitsSchema),
    runtime: runtimeSchema.optional(),
    logs: absentOr(() => logs),
    entrypoint: command.optional(),
    predictions_file: relativePath('the output folder').optional(),
    private: z.boolean().optional(),
    carry_selections: z.boolean().default(false),
  })
  .superRefine((p, ctx) => {
    if (p.end !== undefined && p.end <= p.start) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: `must be after start (${iso(p.start)}), got ${iso(p.end)}` });
    }
  })
  .transform((p): Phase => {
    const own: PhaseOwn = {
      ...(p.data ? { data: p.data } : {}),
      ...(p.limits ? { limits: p.limits } : {}),
      ...(p.runtime ? { runtime: p.runtime } : {}),
      ...(p.logs ? { logs: p.logs } : {}),
      ...(p.entrypoint ? { entrypoint: p.entrypoint } : {}),
      ...(p.predictions_file ? { predictionsFile: p.predictions_file } : {}),
      ...(p.private === undefined ? {} : { private: p.private }),
    };
    return {
      name: p.name,
      start: p.start,
      ...(p.end === undefined ? {} : { end: p.end }),
      dailyQuota: p.daily_quota,
      ...(p.total_quota === undefined ? {} : { totalQuota: p.total_quota }),
      ...(p.submission === 'code' ? {} : { submission: p.submission }),
      ...(Object.keys(own).length === 0 ? {} : { own }),
      ...(p.carry_selections ? { carrySelections: true } : {}),
      ...(p.failed_quota ? { failedQuota: p.failed_quota } : {}),
      ...(p.weekly_budget && Object.keys(p.weekly_budget).length > 0 ? { weeklyBudget: p.weekly_budget } : {}),
    };
  });

/**
 * A phase's `data`, `limits` and `logs` are read over the competition's: `phases[1].data:
 * { labels: final/labels.csv }` keeps the competition's other data paths. Raw YAML in, raw out.
 */
function inheritOwn(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const top = raw as Record<string, unknown>;
  if (!Array.isArray(top['phases'])) return raw;
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const phases = top['phases'].map((p: unknown) => {
    if (!isMap(p)) return p;
    const merged = { ...p };
    for (const key of ['data', 'limits', 'logs']) {
      if (isMap(p[key]) && isMap(top[key])) merged[key] = { ...top[key], ...p[key] };
    }
    return merged;
  });
  return { ...top, phases };
}

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
    // A carried submission runs again on the phase's data: code from a code phase, into one.
    order.forEach(({ p, i }, k) => {
      if (!p.carrySelections) return;
      const before = order[k - 1]?.p;
      const problem =
        before === undefined ? 'the first phase has no phase before it whose selections it could carry'
          : before.submission === 'results' ? `phase "${before.name}" before it takes results, which cannot run again on this phase's data`
            : p.submission === 'results' ? 'this phase takes results: a carried submission is code that runs again'
              : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: [i, 'carry_selections'], message: problem });
    });
  });

/** `prize_limits:` what a run may use and still win a prize; every key optional. */
const prizeLimits = z
  .strictObject({ wall_time: duration, cpu_time: duration, peak_memory: size, gpu_time: duration, peak_gpu_memory: size })
  .partial()
  .transform((l): PrizeLimits => {
    const out: PrizeLimits = {};
    if (l.wall_time !== undefined) out.wallMs = l.wall_time;
    if (l.cpu_time !== undefined) out.cpuMs = l.cpu_time;
    if (l.peak_memory !== undefined) out.peakMemoryBytes = l.peak_memory;
    if (l.gpu_time !== undefined) out.gpuMs = l.gpu_time;
    if (l.peak_gpu_memory !== undefined) out.peakGpuMemoryBytes = l.peak_gpu_memory;
    return out;
  });

const resourceColumn = z.enum(resourceColumns, {
  error: (issue) => `expected one of ${resourceColumns.map((v) => `"${v}"`).join(', ')}, got ${describeValue(issue.input)}`,
});

/** `scheduling:` this competition's share of the workers (see `Scheduling`). */
const scheduling = z
  .strictObject({
    weight: z.number().positive().max(1000).default(1),
    max_running: z.int().min(1).optional(),
    max_running_per_entrant: z.int().min(1).optional(),
  })
  .transform((s): Scheduling => ({
    weight: s.weight,
    ...(s.max_running === undefined ? {} : { maxRunning: s.max_running }),
    ...(s.max_running_per_entrant === undefined ? {} : { maxRunningPerEntrant: s.max_running_per_entrant }),
  }));

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
export const competitionSchema = z.preprocess(inheritOwn, z
  .strictObject({
    slug,
    title: z.string().trim().min(1).max(200),
    description: z.string().default(''),
    runtime: runtimeSchema.default({ name: 'host' }),
    entrypoint: command.default(['python', 'main.py']),
    harness: harnessSchema.optional(),
    packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'must be a Debian package name such as "python3-lightgbm"')).default([]),
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
    leaderboard_columns: z.array(resourceColumn).optional(),
    prize_limits: prizeLimits.optional(),
    scheduling: scheduling.optional(),
  })
  .superRefine((c, ctx) => {
    // A scoring program is handed the predictions as CSV parts; JSON lines would need converting.
    if (c.predictions_format === 'jsonl' && c.scoring.program !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['predictions_format'], message: 'jsonl works with the built-in metrics only; a scoring program reads CSV predictions' });
    }
    const raw = c.scoring.program?.input === 'raw';
    c.phases.forEach((p, i) => {
      const d = p.own?.data ?? c.data;
      const at = p.own?.data ? ['phases', i, 'data'] : ['data'];
      if (p.submission !== 'results' && d.testFeatures === undefined) {
        ctx.addIssue({ code: 'custom', path: [...at, 'test_features'], message: `required: phase "${p.name}" runs code, which reads its test features from this folder (or set the phase's submission: results)` });
      }
      if (!raw && d.submissionFormat === undefined) {
        ctx.addIssue({ code: 'custom', path: [...at, 'submission_format'], message: 'required: the CSV whose header and ids predictions must match (or score with a raw scoring program: scoring.program.input: raw)' });
      }
    });
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
      ...(c.packages.length === 0 ? {} : { packages: c.packages }),
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
      ...(c.leaderboard_columns?.length ? { resourceColumns: [...new Set(c.leaderboard_columns)] } : {}),
      ...(c.scheduling ? { scheduling: c.scheduling } : {}),
      ...(c.prize_limits && Object.keys(c.prize_limits).length > 0 ? { prizeLimits: c.prize_limits } : {}),
    }),
  ));

/** Parts of the schema, for checks that need one section even when another is invalid. */
export const sectionSchemas = { data, scoring: scoringSchema, idColumn } as const;
