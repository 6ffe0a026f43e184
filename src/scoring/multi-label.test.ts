import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { scoringSchema } from '../bundle/scoring-schema.js';
import type { ScoringConfig } from '../domain/competition.js';
import { MetricError } from './metrics/metric.js';
import { multiLabelMetrics } from './metrics/registry.js';
import { scorePredictions } from './score-predictions.js';

const fixtures = new URL('./fixtures/', import.meta.url);

interface MultiLabelCase {
  file: string;
  columns: number;
  values: Record<string, number>;
  errors: string[];
}
const expected = JSON.parse(readFileSync(new URL('expected-multilabel.json', fixtures), 'utf8')) as { cases: Record<string, MultiLabelCase> };

/** The fixture's label columns and prediction columns, as text. */
function readMatrix(file: string, columns: number): [string[][], string[][]] {
  const rows = readFileSync(new URL(file, fixtures), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
  const column = (c: number) => rows.map((row) => row[c] as string);
  return [Array.from({ length: columns }, (_, c) => column(c)), Array.from({ length: columns }, (_, c) => column(columns + c))];
}

describe('multi-label metrics match scikit-learn 1.2 (fixtures/make_fixtures.py)', () => {
  for (const [name, testCase] of Object.entries(expected.cases)) {
    it(name, () => {
      const [labels, predictions] = readMatrix(testCase.file, testCase.columns);
      const asNumbers = (columns: string[][]) => columns.map((values) => Float64Array.from(values, Number));
      for (const [variant, y, p] of [['text', labels, predictions], ['numbers', asNumbers(labels), asNumbers(predictions)]] as const) {
        for (const [metric, value] of Object.entries(testCase.values)) {
          const entry = multiLabelMetrics[metric];
          assert.ok(entry, `metric ${metric} is registered`);
          const got = entry.fn(y, p);
          assert.ok(Math.abs(got - value) <= 1e-9, `${metric} (${variant}): got ${got}, scikit-learn gives ${value}`);
        }
        for (const metric of testCase.errors) {
          assert.throws(() => multiLabelMetrics[metric]?.fn(y, p), MetricError, `${metric} (${variant}) raises like scikit-learn`);
        }
      }
    });
  }
});

describe('multi-label scoring of a predictions file', () => {
  const root = mkdtempSync(join(tmpdir(), 'holdout-multilabel-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const scoring = (columns?: string[]): ScoringConfig => ({
    primary: { metric: 'f1_micro_multilabel', higherIsBetter: true, ...(columns ? { columns } : {}) },
    extra: [{ metric: 'jaccard_samples', higherIsBetter: true }, { metric: 'accuracy', higherIsBetter: true, column: 'cat' }],
    split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' },
  });
  let cases = 0;
  async function score(predictions: string, config: ScoringConfig) {
    const dir = join(root, String(cases++));
    mkdirSync(dir);
    writeFileSync(join(dir, 'format.csv'), 'id,cat,dog,bird\na,0,0,0\nb,0,0,0\nc,0,0,0\n');
    writeFileSync(join(dir, 'labels.csv'), 'id,cat,dog,bird,usage\na,1,0,1,Public\nb,0,1,0,Public\nc,1,1,0,Private\n');
    writeFileSync(join(dir, 'submission.csv'), predictions);
    return scorePredictions({ predictionsPath: join(dir, 'submission.csv'), submissionFormatPath: join(dir, 'format.csv'), labelsPath: join(dir, 'labels.csv'), idColumn: 'id', scoring: config, cache: null });
  }

  it('scores every value column by default, or the columns named', async () => {
    const predictions = 'id,cat,dog,bird\na,1,0,0\nb,0,1,1\nc,1,1,0\n';
    // Public: tp 2, predicted 3, true 3 → F1 2/3; rows a: 1/2, b: 1/2.
    assert.deepEqual(await score(predictions, scoring()), {
      ok: true, public: { f1_micro_multilabel: 2 / 3, jaccard_samples: 0.5, accuracy: 1 }, private: { f1_micro_multilabel: 1, jaccard_samples: 1, accuracy: 1 }, rows: 3,
    });
    const outcome = await score(predictions, scoring(['cat', 'dog']));
    assert.equal(outcome.ok && outcome.public.f1_micro_multilabel, 1);
  });

  it('rejects a prediction other than 0 or 1, naming the line and column', async () => {
    const outcome = await score('id,cat,dog,bird\na,1,0,0\nb,0,0.5,1\nc,1,1,0\n', scoring());
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.message, /line 3, column "dog": 0\.5 is not 0 or 1; f1_micro_multilabel needs a 0\/1 indicator/);
  });

  it('blames the host for labels other than 0 or 1', async () => {
    const dir = join(root, 'bad-labels');
    mkdirSync(dir);
    writeFileSync(join(dir, 'format.csv'), 'id,cat,dog\na,0,0\n');
    writeFileSync(join(dir, 'labels.csv'), 'id,cat,dog,usage\na,1,2,Public\n');
    writeFileSync(join(dir, 'submission.csv'), 'id,cat,dog\na,1,0\n');
    const config = scoring();
    config.extra = [];
    const outcome = await scorePredictions({ predictionsPath: join(dir, 'submission.csv'), submissionFormatPath: join(dir, 'format.csv'), labelsPath: join(dir, 'labels.csv'), idColumn: 'id', scoring: config, cache: null });
    assert.equal(outcome.ok ? '' : outcome.reason, 'scoring_error');
    assert.match(outcome.ok ? '' : outcome.message, /labels must be 0 or 1, but row 1 of target column 2 holds "2"/);
  });
});

describe('columns: in the bundle', () => {
  const parse = (primary: unknown) => scoringSchema.safeParse({ primary });
  it('takes two or more target columns for a multi-label metric', () => {
    const parsed = parse({ metric: 'jaccard_samples', columns: ['cat', 'dog'] });
    assert.ok(parsed.success);
    assert.deepEqual(parsed.data.primary, { metric: 'jaccard_samples', higherIsBetter: true, columns: ['cat', 'dog'] });
  });
  it('refuses columns for other metrics, with column, once, or repeated', () => {
    const message = (primary: unknown) => (parse(primary).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    assert.match(message({ metric: 'accuracy', columns: ['cat', 'dog'] }), /primary\.columns: applies to the multi-label metrics only/);
    assert.match(message({ metric: 'jaccard_samples', column: 'cat', columns: ['cat', 'dog'] }), /either column or columns/);
    assert.match(message({ metric: 'jaccard_samples', columns: ['cat'] }), /two or more/);
    assert.match(message({ metric: 'jaccard_samples', columns: ['cat', 'cat'] }), /names a column twice/);
  });
});
