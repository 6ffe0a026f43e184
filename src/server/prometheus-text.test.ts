import assert from 'node:assert/strict';
import { it } from 'node:test';
import { histogram, prometheusText } from './prometheus-text.js';

it('renders gauges with escaped labels and histograms with cumulative buckets', () => {
  const text = prometheusText([
    { name: 'x', help: 'an x', type: 'gauge', samples: [{ labels: { a: 'q"u\\o' }, value: 2 }] },
    histogram('d_seconds', 'durations', [0.2, 3, 100], [1, 10]),
  ]);
  assert.equal(
    text,
    [
      '# HELP x an x',
      '# TYPE x gauge',
      'x{a="q\\"u\\\\o"} 2',
      '# HELP d_seconds durations',
      '# TYPE d_seconds histogram',
      'd_seconds_bucket{le="1"} 1',
      'd_seconds_bucket{le="10"} 2',
      'd_seconds_bucket{le="+Inf"} 3',
      'd_seconds_sum 103.2',
      'd_seconds_count 3',
      '',
    ].join('\n'),
  );
});
