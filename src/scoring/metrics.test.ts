import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { metricDirections, multiLabelMetricNames } from '../bundle/metrics.js';
import { MetricError } from './metrics/metric.js';
import { metrics, multiLabelMetrics } from './metrics/registry.js';
import { parseNumber } from './parse-number.js';

const fixtures = new URL('./fixtures/', import.meta.url);

interface MetricCase {
  file: string;
  values: Record<string, number>;
  errors: string[];
}
const expected = JSON.parse(readFileSync(new URL('expected-metrics.json', fixtures), 'utf8')) as {
  cases: Record<string, MetricCase>;
};

/** The fixture's two columns as text (they hold no quotes or commas). */
function readPairs(file: string): [string[], string[]] {
  const lines = readFileSync(new URL(file, fixtures), 'utf8').trim().split('\n').slice(1);
  return [lines.map((line) => line.split(',')[0] as string), lines.map((line) => line.split(',')[1] as string)];
}

/** The same values pre-parsed, as the scorer passes numeric columns, when they all are numbers. */
function asNumbers(values: string[]): Float64Array | undefined {
  const numbers = Float64Array.from(values, parseNumber);
  return numbers.some(Number.isNaN) ? undefined : numbers;
}

function assertClose(actual: number, wanted: number, what: string): void {
  const tolerance = 1e-9 * Math.max(1, Math.abs(wanted));
  assert.ok(Math.abs(actual - wanted) <= tolerance, `${what}: got ${actual}, scikit-learn gives ${wanted}`);
}

describe('metrics match scikit-learn 1.2 (fixtures/make_fixtures.py)', () => {
  for (const [name, testCase] of Object.entries(expected.cases)) {
    it(name, () => {
      const [labels, predictions] = readPairs(testCase.file);
      const variants: [string, Float64Array | string[], Float64Array | string[]][] = [['text', labels, predictions]];
      const y = asNumbers(labels);
      const p = asNumbers(predictions);
      if (y && p) variants.push(['numbers', y, p]);
      for (const [variant, yv, pv] of variants) {
        for (const [metric, value] of Object.entries(testCase.values)) {
          const entry = metrics[metric];
          assert.ok(entry, `metric ${metric} is registered`);
          assertClose(entry.fn(yv, pv), value, `${metric} (${variant})`);
        }
        for (const metric of testCase.errors) {
          assert.throws(() => metrics[metric]?.fn(yv, pv), MetricError, `${metric} (${variant}) raises like scikit-learn`);
        }
      }
    });
  }
});

describe('metric registry', () => {
  it('lists every metric of the brief with its direction', () => {
    const names = Object.keys(metrics).sort();
    assert.deepEqual(names, [
      'accuracy', 'average_precision', 'balanced_accuracy', 'f1_binary', 'f1_macro', 'f1_micro', 'f1_weighted',
      'jaccard', 'log_loss', 'mae', 'mape', 'mask_iou', 'precision_macro', 'r2', 'recall_macro', 'rmse', 'roc_auc',
    ]);
    assert.equal(metrics.rmse?.higherIsBetter, false);
    // The bundle loader accepts exactly these names, with these directions.
    assert.deepEqual(
      Object.fromEntries([...Object.entries(metrics), ...Object.entries(multiLabelMetrics)].map(([name, metric]) => [name, metric.higherIsBetter])),
      { ...metricDirections },
    );
    assert.deepEqual([...multiLabelMetricNames].sort(), Object.keys(multiLabelMetrics).sort());
    assert.equal(metrics.log_loss?.needsProbabilities, true);
    assert.equal(metrics.accuracy?.needsProbabilities, false);
  });

  it('names the problem when a metric is undefined', () => {
    assert.throws(() => metrics.roc_auc?.fn(['1', '1'], ['0.2', '0.9']), /one class only/);
    assert.throws(() => metrics.f1_binary?.fn(['0', '1', '2'], ['0', '1', '2']), /binary classes/);
    assert.throws(() => metrics.rmse?.fn(['1', 'x'], ['1', '2']), /labels must be numbers, but row 2/);
  });

  it('compares 1.0 and 1 as the same class, as pandas-read columns would', () => {
    assert.equal(metrics.accuracy?.fn(['1.0', '0'], Float64Array.of(1, 0)), 1);
  });
});

describe('parseNumber', () => {
  it('equals Number() on plain decimals, bit for bit', () => {
    let seed = 1;
    const random = () => ((seed = (Math.imul(seed, 48271) >>> 0) % 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 20_000; i++) {
      const digits = String(Math.floor(random() * 10 ** (1 + Math.floor(random() * 15))));
      const dot = Math.floor(random() * (digits.length + 1));
      const text = `${random() < 0.3 ? '-' : ''}${digits.slice(0, dot)}.${digits.slice(dot)}`;
      assert.ok(Object.is(parseNumber(text), Number(text)), text);
    }
    assert.ok(Object.is(parseNumber('-0.0'), -0));
  });

  it('accepts what pandas reads as a number and nothing else', () => {
    for (const [text, value] of [['1', 1], ['-2.5e-3', -2.5e-3], [' 3 ', 3], ['.5', 0.5], ['+4', 4], ['-0', -0]] as const) {
      assert.equal(parseNumber(text), value, text);
    }
    for (const text of ['', ' ', 'nan', 'NaN', 'inf', '-inf', 'Infinity', '1e999', '0x10', '1,5', '1.2.3', 'abc', '1_0']) {
      assert.ok(Number.isNaN(parseNumber(text)), JSON.stringify(text));
    }
  });
});
