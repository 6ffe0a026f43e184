import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ScoringProgram } from '../../domain/competition.js';
import type { Limits } from '../../domain/limits.js';
import { missingHostRequirements } from '../../executors/sandbox/host-check.js';
import { SandboxExecutor } from '../../executors/sandbox/sandbox-executor.js';
import type { ScoreOutcome } from '../score-types.js';
import { csvDataRows, runRawScoringProgram } from './run-raw-program.js';

const root = mkdtempSync(join(tmpdir(), 'holdout-raw-program-'));
after(() => rmSync(root, { recursive: true, force: true }));

const limits: Limits = { wallTimeMs: 20_000, memoryBytes: 512 << 20, cpus: 1, pids: 64, outputBytes: 1 << 20, logBytes: 64 << 10, gpus: 0 };
const labels = 'id,y\r\na,1\r\nb,0\r\n\r\nc,1\r\nd,0\r\n';

/*
 * A Codabench program as they are written: every path hard-coded under /app. It scores the ids
 * it finds in the predictions only (a program that skips what it cannot match), and says how many.
 */
const hardCoded = `import csv, glob, json, os
ref = {r["id"]: r["y"] for r in csv.DictReader(open("/app/input/ref/labels.csv", newline=""))}
(res,) = glob.glob("/app/input/res/*.csv")
pred = {r["id"]: r["y"] for r in csv.DictReader(open(res, newline=""))}
seen = [i for i in pred if i in ref]
open("/app/shared/note.txt", "w").write("scratch")
open("/app/program/written.txt", "w").write("own copy")
assert os.path.samefile("/app/scoring_program", "/app/program")
assert os.getcwd() == "/app/program"
json.dump({"exact": sum(pred[i] == ref[i] for i in seen) / len(ref), "n": len(seen)}, open("/app/output/scores.json", "w"))
`;

const unsupported = missingHostRequirements();
const skip = unsupported.length > 0 ? `host cannot run sandboxes: ${unsupported.join('; ')}` : false;

describe('raw (Codabench layout) scoring programs, run in the sandbox', { skip }, () => {
  let executor: SandboxExecutor;
  before(async () => {
    executor = new SandboxExecutor({ workspaceRoot: join(root, 'sandbox') });
    await executor.check();
  });

  async function score(predictions: string, rows?: ScoringProgram['rows']): Promise<ScoreOutcome> {
    const dir = mkdtempSync(join(root, 'case-'));
    for (const d of ['bundle/scorer', 'res', 'work']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'bundle', 'scorer', 'score.py'), hardCoded);
    writeFileSync(join(dir, 'bundle', 'labels.csv'), labels);
    writeFileSync(join(dir, 'res', 'predictions.csv'), predictions);
    const program: ScoringProgram = { dir: 'scorer', command: ['/usr/bin/python3', 'score.py'], limits, input: 'raw', ...(rows ? { rows } : {}) };
    return runRawScoringProgram(
      {
        resultsDir: join(dir, 'res'),
        labelsPath: join(dir, 'bundle', 'labels.csv'),
        maxBytes: 1 << 20,
        metrics: ['exact'],
        program: { executor, bundleDir: join(dir, 'bundle'), workDir: join(dir, 'work'), runId: `raw-${randomUUID().slice(0, 8)}`, runtime: 'host' },
      },
      program,
    );
  }

  it('counts the data rows of a labels CSV (header, blank lines and CRLF not counted)', async () => {
    const file = join(root, 'count.csv');
    writeFileSync(file, labels);
    assert.equal(await csvDataRows(file), 4);
    writeFileSync(file, 'id,y\na,1');
    assert.equal(await csvDataRows(file), 1);
  });

  it('runs a program that hard-codes /app paths, and takes every row it reports', async () => {
    const outcome = await score('id,y\na,1\nb,0\nc,1\nd,1\n', { key: 'n' });
    assert.deepEqual(outcome, { ok: true, public: { exact: 0.75 }, private: { exact: 0.75 }, rows: 4 });
  });

  it('ends as scoring_error when the program reports fewer rows than the labels, with its log for the host', async () => {
    const outcome = await score('id,y\na,1\nb,0\n', { key: 'n' });
    assert.equal(outcome.ok, false, JSON.stringify(outcome));
    if (outcome.ok) return;
    assert.equal(outcome.reason, 'scoring_error');
    assert.match(outcome.message, /reports scoring 2 rows in "n", fewer than the 4 rows of the labels/);
    assert.match(outcome.hostLog ?? '', /fewer than the 4 rows/);
  });

  it('checks against label_rows where the bundle gives it', async () => {
    const outcome = await score('id,y\na,1\nb,0\nc,1\nd,0\n', { key: 'n', expected: 5 });
    assert.equal(outcome.ok, false);
    if (!outcome.ok) assert.match(outcome.message, /reports scoring 4 rows in "n", fewer than the 5 rows/);
  });

  it('without a rows key scores what the program gives (it cannot tell Holdout how much it read)', async () => {
    const outcome = await score('id,y\na,1\n');
    assert.deepEqual(outcome, { ok: true, public: { exact: 0.25 }, private: { exact: 0.25 }, rows: 0 });
  });

  it('ends as scoring_error when the program crashes', async () => {
    const outcome = await score('not,a\ncsv of ids');
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.equal(outcome.reason, 'scoring_error');
      assert.match(outcome.hostLog ?? '', /KeyError|Traceback/);
    }
  });
});
