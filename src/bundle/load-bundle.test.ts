import assert from 'node:assert/strict';
import { realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { CompetitionConfig } from '../domain/competition.js';
import { BundleError } from './bundle-error.js';
import { assertIssue, at, copyDemo, demoBundle, editConfig, issuesOf } from './bundle-fixture.case.js';
import { loadBundle } from './load-bundle.js';

const MiB = 1024 ** 2;

describe('loadBundle: the demo bundle', () => {
  test('loads to the expected normalised config', async () => {
    const bundle = await loadBundle(demoBundle);
    const { description, ...config } = bundle.config;
    const expected: Omit<CompetitionConfig, 'description'> = {
      slug: 'digits',
      title: 'Handwritten digits',
      runtime: 'host',
      entrypoint: ['python', 'main.py'],
      limits: { wallTimeMs: 120_000, memoryBytes: 1024 * MiB, cpus: 1, pids: 64, outputBytes: 10 * MiB, logBytes: MiB, gpus: 0 },
      layout: { code: '/code_execution/src', data: '/code_execution/data', output: '/code_execution/submission' },
      predictionsFile: 'submission.csv',
      idColumn: 'id',
      data: {
        public: ['train', 'test/submission_format.csv'],
        testFeatures: 'test/features',
        labels: 'private/labels.csv',
        submissionFormat: 'test/submission_format.csv',
        smoke: { features: 'smoke/features', labels: 'smoke/labels.csv', submissionFormat: 'smoke/submission_format.csv' },
      },
      scoring: {
        primary: { metric: 'accuracy', higherIsBetter: true },
        extra: [{ metric: 'f1_macro', higherIsBetter: true }],
        split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' },
      },
      phases: [{ name: 'development', start: new Date('2026-01-01T00:00:00Z'), end: new Date('2030-01-01T00:00:00Z'), dailyQuota: 10 }],
      logs: { fullRuns: 'reason-only', smokeRuns: 'full' },
      finalSelections: 2,
    };
    assert.deepEqual(config, expected);
    assert.match(description, /^# Handwritten digits\n/);
    assert.match(description, /\/code_execution\/submission\/submission\.csv/);
    assert.equal(bundle.root, await realpath(demoBundle));
    assert.deepEqual(bundle.files, [
      'competition.yaml',
      'overview.md',
      'private/labels.csv',
      'smoke/features/test_features.csv',
      'smoke/labels.csv',
      'smoke/submission_format.csv',
      'test/features/test_features.csv',
      'test/submission_format.csv',
      'train/train_features.csv',
      'train/train_labels.csv',
    ]);
  });

  test('fills defaults for every optional setting', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => {
      for (const key of ['runtime', 'entrypoint', 'limits', 'predictions_file', 'id_column', 'description']) delete c[key];
      at(c, 'scoring').primary = 'log_loss';
      delete at(c, 'scoring').extra;
      delete at(c, 'scoring').split;
      delete at(c, 'phases', 0).daily_quota;
      delete at(c, 'phases', 0).end;
    });
    const { config } = await loadBundle(dir);
    assert.equal(config.runtime, 'host');
    assert.deepEqual(config.entrypoint, ['python', 'main.py']);
    assert.deepEqual(config.limits, { wallTimeMs: 600_000, memoryBytes: 2048 * MiB, cpus: 1, pids: 256, outputBytes: 100 * MiB, logBytes: MiB, gpus: 0 });
    assert.equal(config.predictionsFile, 'submission.csv');
    assert.equal(config.description, '');
    assert.deepEqual(config.scoring, {
      primary: { metric: 'log_loss', higherIsBetter: false },
      extra: [],
      split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' },
    });
    assert.deepEqual(config.phases, [{ name: 'development', start: new Date('2026-01-01T00:00:00Z'), dailyQuota: 5 }]);
  });

  test('accepts inline descriptions, quoted entry points, seeded splits and offsets', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => {
      c.description = 'Recognise *digits*.\n';
      c.entrypoint = `python3 "my main.py" --name 'a b'`;
      at(c, 'scoring').split = { seed: 7, public_fraction: 0.25 };
      at(c, 'phases', 0).start = '2026-01-01T09:30:00+01:00';
    });
    const { config } = await loadBundle(dir);
    assert.equal(config.description, 'Recognise *digits*.\n');
    assert.deepEqual(config.entrypoint, ['python3', 'my main.py', '--name', 'a b']);
    assert.deepEqual(config.scoring.split, { kind: 'seeded', seed: 7, publicFraction: 0.25 });
    assert.deepEqual(config.phases[0]?.start, new Date('2026-01-01T08:30:00Z'));
  });
});

/** One change to the demo bundle's competition.yaml, and the issue it must cause. */
const configCases: Array<{ name: string; edit: (c: Record<string, unknown>) => void; field: string; message: RegExp | string }> = [
  { name: 'a size without meaning', edit: (c) => void (at(c, 'limits').memory = 'lots'), field: 'limits.memory', message: 'expected a size such as "2GiB", got "lots"' },
  { name: 'a size without a unit', edit: (c) => void (at(c, 'limits').output = 10), field: 'limits.output', message: /got 10; add a unit: B, KiB/ },
  { name: 'a duration without meaning', edit: (c) => void (at(c, 'limits').wall_time = 'forever'), field: 'limits.wall_time', message: /expected a duration such as "10m".*got "forever"/ },
  { name: 'a fractional pid limit', edit: (c) => void (at(c, 'limits').pids = 1.5), field: 'limits.pids', message: 'expected a whole number, got 1.5' },
  { name: 'an invalid slug', edit: (c) => void (c.slug = 'Digits!'), field: 'slug', message: /lowercase letters, digits or hyphens.*"Digits!"/ },
  { name: 'a missing title', edit: (c) => void delete c.title, field: 'title', message: 'required' },
  { name: 'a mistyped top-level key', edit: (c) => void (c.limit = c.limits), field: 'limit', message: /unknown field \(did you mean "limits"\?\)/ },
  { name: 'a mistyped nested key', edit: (c) => void (at(c, 'limits').gpu = 1), field: 'limits.gpu', message: /did you mean "gpus"/ },
  { name: 'an unknown metric', edit: (c) => void (at(c, 'scoring', 'primary').metric = 'acuracy'), field: 'scoring.primary.metric', message: /unknown metric "acuracy" \(did you mean "accuracy"\?\); known metrics: accuracy, .*rmse/ },
  { name: 'a repeated metric', edit: (c) => void (at(c, 'scoring').extra = ['f1_macro', 'f1_macro']), field: 'scoring.extra[1].metric', message: 'repeats metric "f1_macro"' },
  { name: 'a split by column and by seed', edit: (c) => void (at(c, 'scoring', 'split').seed = 1), field: 'scoring.split', message: /either column\/public\/private .* or seed\/public_fraction/ },
  { name: 'a seeded split without a fraction', edit: (c) => void (at(c, 'scoring').split = { seed: 1 }), field: 'scoring.split.public_fraction', message: /required for a seeded split/ },
  { name: 'a phase ending before it starts', edit: (c) => void (at(c, 'phases', 0).end = '2025-12-31'), field: 'phases[0].end', message: /must be after start \(2026-01-01T00:00:00.000Z\)/ },
  { name: 'an impossible date', edit: (c) => void (at(c, 'phases', 0).start = '2026-02-30'), field: 'phases[0].start', message: /expected an ISO date .* got "2026-02-30"/ },
  { name: 'no final selection', edit: (c) => void (c.final_selections = 0), field: 'final_selections', message: 'must be at least 1, got 0' },
  { name: 'a zero daily quota', edit: (c) => void (at(c, 'phases', 0).daily_quota = 0), field: 'phases[0].daily_quota', message: 'must be at least 1, got 0' },
  {
    name: 'overlapping phases',
    edit: (c) => void (at(c, 'phases') as unknown as unknown[]).push({ name: 'final', start: '2029-06-01' }),
    field: 'phases[1].start',
    message: /overlaps phase "development"/,
  },
  {
    name: 'two phases with one name',
    edit: (c) => void (at(c, 'phases') as unknown as unknown[]).push({ name: 'development', start: '2030-01-01' }),
    field: 'phases[1].name',
    message: '"development" is already the name of phases[0]',
  },
  { name: 'no phase', edit: (c) => void (c.phases = []), field: 'phases', message: 'must have at least 1 item' },
  { name: 'the first phase carrying selections', edit: (c) => void (at(c, 'phases', 0).carry_selections = true), field: 'phases[0].carry_selections', message: /the first phase has no phase before it/ },
  {
    name: 'selections carried out of a results phase',
    edit: (c) => {
      at(c, 'phases', 0).submission = 'results';
      (at(c, 'phases') as unknown as unknown[]).push({ name: 'final', start: '2030-01-01', carry_selections: true });
    },
    field: 'phases[1].carry_selections',
    message: /phase "development" before it takes results, which cannot run again/,
  },
  { name: 'a relative layout path', edit: (c) => void (c.layout = { code: 'src' }), field: 'layout.code', message: /expected an absolute path .* got "src"/ },
  { name: 'a layout path inside a system folder', edit: (c) => void (c.layout = { code: '/usr/src' }), field: 'layout.code', message: /must not be \/ or a system folder .* got "\/usr\/src"/ },
  { name: 'a layout path above a system folder', edit: (c) => void (c.layout = { data: '/opt' }), field: 'layout.data', message: /must not be \/ or a system folder \(.*\/opt\/nvidia.*\), got "\/opt"/ },
  // Data and output may lie inside the code folder (layout: drivendata); no other nesting.
  { name: 'nested layout paths', edit: (c) => void (c.layout = { output: '/code_execution/data/out' }), field: 'layout.output', message: /must be distinct from layout.data/ },
  { name: 'a predictions file outside the output folder', edit: (c) => void (c.predictions_file = '../submission.csv'), field: 'predictions_file', message: /must stay inside the output folder \(no "\.\."\)/ },
  { name: 'an unterminated quote', edit: (c) => void (c.entrypoint = "python 'main.py"), field: 'entrypoint', message: /unterminated single quote/ },
  { name: 'an absolute data path', edit: (c) => void (at(c, 'data').labels = '/etc/passwd'), field: 'data.labels', message: `must be relative to the bundle, got "/etc/passwd"` },
  { name: 'a data path leaving the bundle', edit: (c) => void (at(c, 'data').test_features = 'test/../../x'), field: 'data.test_features', message: /must stay inside the bundle \(no "\.\."\)/ },
];

describe('loadBundle: broken competition.yaml', () => {
  for (const c of configCases) {
    test(c.name, async (t) => {
      const dir = await copyDemo(t);
      await editConfig(dir, c.edit);
      assertIssue(await issuesOf(dir), 'competition.yaml', c.field, c.message);
    });
  }

  test('reports every problem at once, one per line of the message', async (t) => {
    const dir = await copyDemo(t);
    await editConfig(dir, (c) => {
      at(c, 'limits').memory = 'lots';
      c.slug = 'x';
      at(c, 'data').labels = 'private/missing.csv';
      c.description = 'nothing.md';
    });
    const err = await loadBundle(dir).then(
      () => assert.fail('loaded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BundleError);
    assert.deepEqual(err.issues.map((i) => i.field).sort(), ['data.labels', 'description', 'limits.memory', 'slug']);
    const lines = err.message.split('\n');
    assert.equal(lines[0], 'invalid competition bundle (4 problems):');
    assert.ok(lines.includes('competition.yaml: limits.memory: expected a size such as "2GiB", got "lots"'), err.message);
  });

  test('a YAML syntax error names the line', async (t) => {
    const dir = await copyDemo(t);
    await writeFile(path.join(dir, 'competition.yaml'), 'slug: digits\ntitle: [unclosed\n');
    assertIssue(await issuesOf(dir), 'competition.yaml', '', /invalid YAML: .*line \d+/);
  });

  test('a missing competition.yaml', async (t) => {
    const dir = await copyDemo(t);
    await rm(path.join(dir, 'competition.yaml'));
    assertIssue(await issuesOf(dir), 'competition.yaml', '', /not found/);
  });
});
