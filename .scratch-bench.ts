import { performance } from 'node:perf_hooks';
import { scorePredictions } from './src/scoring/score-predictions.js';
import { readSubmissionFormat } from './src/scoring/submission-format.js';
let t = performance.now();
const f = await readSubmissionFormat('/tmp/bench/format.csv', 'id');
console.log('format only', ((performance.now() - t) / 1000).toFixed(1), 's');
t = performance.now();
const out = await scorePredictions({
  predictionsPath: '/tmp/bench/predictions.csv', submissionFormatPath: '/tmp/bench/format.csv', labelsPath: '/tmp/bench/labels.csv', idColumn: 'id',
  scoring: { primary: { metric: 'roc_auc', higherIsBetter: true }, extra: [{ metric: 'log_loss', higherIsBetter: false }, { metric: 'average_precision', higherIsBetter: true }], split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' } },
});
console.log(JSON.stringify(out), ((performance.now() - t) / 1000).toFixed(1), 's', 'rss', (process.memoryUsage().rss / 2**20).toFixed(0), 'MiB');
