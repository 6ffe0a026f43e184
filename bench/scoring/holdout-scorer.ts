/**
 * Child process of the scoring benchmark: scores a generated task with Holdout's scorePredictions
 * (ROC AUC primary, log loss extra, split by the usage column), twice: the first call reads the
 * host's files (a worker's first submission), the second finds them in the host-data cache (every
 * later submission). Prints one JSON line: times, scores and the peak RSS (VmHWM) after the first
 * call and at the end, and the CPU time of the first call (less sensitive to a busy machine).
 *
 *   node --import tsx bench/scoring/holdout-scorer.ts <format.csv> <labels.csv> <predictions.csv>
 */
import { readFileSync } from 'node:fs';
import { scorePredictions } from '../../src/scoring/score-predictions.js';

/** Peak resident set size of this process so far, in bytes. */
function peakRss(status = readFileSync('/proc/self/status', 'utf8')): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error('no VmHWM in /proc/self/status');
  return Number(match[1]) * 1024;
}

const [formatPath, labelsPath, predictionsPath] = process.argv.slice(2);
if (predictionsPath === undefined || labelsPath === undefined || formatPath === undefined) {
  throw new Error('usage: holdout-scorer.ts <format.csv> <labels.csv> <predictions.csv>');
}

const input = {
  predictionsPath,
  submissionFormatPath: formatPath,
  labelsPath,
  idColumn: 'id',
  scoring: {
    primary: { metric: 'roc_auc', higherIsBetter: true },
    extra: [{ metric: 'log_loss', higherIsBetter: false }],
    split: { kind: 'column' as const, column: 'usage', publicValue: 'Public', privateValue: 'Private' },
  },
  maxBytes: 4 * 2 ** 30,
};

const started = performance.now();
const cpu = process.cpuUsage();
const cold = await scorePredictions(input);
const coldMs = performance.now() - started;
const used = process.cpuUsage(cpu);
const coldCpuMs = (used.user + used.system) / 1000;
const coldPeak = peakRss();
if (!cold.ok) throw new Error(`scoring failed: ${cold.message}`);
const again = performance.now();
const warm = await scorePredictions(input);
const warmMs = performance.now() - again;
if (!warm.ok) throw new Error(`scoring failed: ${warm.message}`);
process.stdout.write(`${JSON.stringify({ coldMs, coldCpuMs, warmMs, coldPeak, peak: peakRss(), public: cold.public, private: cold.private, warm })}\n`);
