/**
 * Scoring speed and memory: Holdout's scorePredictions against pandas + scikit-learn on the same
 * generated binary-classification task (ROC AUC and log loss on the public and private parts),
 * side by side in one run. Each scorer runs in its own child process, so that its peak resident
 * memory (VmHWM) is its own; the scores must agree to 1e-9 (relative).
 *
 *   npm run bench:scoring [-- --rows 10000000] [-- --dir /tmp/task --keep]
 *
 * Target (issue 4): Holdout at least as fast as pandas + scikit-learn, with at most half its peak memory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateTask } from './generate-task.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows < 10) throw new Error(`--rows must be a whole number of at least 10, got ${values.rows}`);
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = values.dir ?? mkdtempSync(path.join(tmpdir(), 'holdout-bench-scoring-'));
const files = ['submission_format.csv', 'labels.csv', 'submission.csv'].map((name) => path.join(dir, name));

type Scores = Record<'public' | 'private', Record<string, number>>;

/** Runs a child to its end; its last stdout line is JSON. `wallMs` includes start-up and imports. */
function runChild(command: string, args: string[]): Promise<{ result: Record<string, unknown>; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      const last = out.trim().split('\n').at(-1) ?? '';
      resolve({ result: JSON.parse(last) as Record<string, unknown>, wallMs });
    });
  });
}

try {
  if (values.dir === undefined || !files.every((file) => existsSync(file))) {
    const t = performance.now();
    generateTask(dir, rows);
    console.log(`generated ${rows.toLocaleString('en')} rows in ${dir} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  const holdout = await runChild(process.execPath, ['--import', 'tsx', path.join(here, 'holdout-scorer.ts'), ...files]);
  const sklearn = await runChild('/usr/bin/python3', [path.join(here, 'sklearn-scorer.py'), ...files]);
  const h = holdout.result as { coldMs: number; coldCpuMs: number; warmMs: number; coldPeak: number; peak: number } & Scores;
  const s = sklearn.result as { ms: number; cpuMs: number; peak: number } & Scores;

  const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
  const table = [
    ['', 'Holdout', 'pandas + scikit-learn', 'ratio'],
    ['scoring time (after start-up)', sec(h.coldMs), sec(s.ms), (h.coldMs / s.ms).toFixed(2)],
    ['scoring CPU time (user + system)', sec(h.coldCpuMs), sec(s.cpuMs), (h.coldCpuMs / s.cpuMs).toFixed(2)],
    // Holdout's child scores a second submission after the first; that time is not the first's.
    ['process wall time (start-up included)', sec(holdout.wallMs - h.warmMs), sec(sklearn.wallMs), ((holdout.wallMs - h.warmMs) / sklearn.wallMs).toFixed(2)],
    ['peak RSS (VmHWM)', mib(h.coldPeak), mib(s.peak), (h.coldPeak / s.peak).toFixed(2)],
    ['next submission (host data cached)', sec(h.warmMs), '', ''],
    ['peak RSS after both', mib(h.peak), '', ''],
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  console.log(`\n${rows.toLocaleString('en')} rows, ROC AUC + log loss on public and private parts\n`);
  const line = (row: string[]) => console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`);
  line(table[0]!);
  line(widths.map((w) => '-'.repeat(w)));
  for (const row of table.slice(1)) line(row);

  let agree = true;
  console.log('');
  for (const part of ['public', 'private'] as const) {
    for (const metric of ['roc_auc', 'log_loss']) {
      const a = h[part][metric] as number;
      const b = s[part][metric] as number;
      const relative = Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
      agree &&= relative <= 1e-9;
      console.log(`${part.padEnd(7)} ${metric.padEnd(8)} Holdout ${a.toPrecision(17)}  scikit-learn ${b.toPrecision(17)}  relative difference ${relative.toExponential(1)}`);
    }
  }
  const fast = h.coldMs <= s.ms;
  const small = h.coldPeak <= s.peak / 2;
  console.log(`\nscores agree to 1e-9: ${agree ? 'yes' : 'NO'}; as fast: ${fast ? 'yes' : 'no'}; at most half the memory: ${small ? 'yes' : 'no'}`);
  // Wall times on a shared machine move with its load; CPU times much less.
  console.log(`load average (1, 5, 15 min) at the end: ${loadavg().map((x) => x.toFixed(1)).join(', ')} on ${cpus().length} CPUs`);
  if (!agree) process.exitCode = 1;
} finally {
  if (!values.keep && values.dir === undefined) rmSync(dir, { recursive: true, force: true });
}
