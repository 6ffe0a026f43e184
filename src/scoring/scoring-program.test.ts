import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { metadataCommand } from '../bundle/check-scoring-program.js';
import type { ScoringConfig, ScoringProgram } from '../domain/competition.js';
import type { Limits } from '../domain/limits.js';
import { missingHostRequirements } from '../executors/sandbox/host-check.js';
import { SandboxExecutor } from '../executors/sandbox/sandbox-executor.js';
import { programArgv } from './program/program-layout.js';
import { describeProgramFailure } from './program/run-scoring-program.js';
import { scorePredictions } from './score-predictions.js';
import type { ScoreOutcome } from './score-types.js';

const programs = fileURLToPath(new URL('./fixtures/programs/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'holdout-scoring-program-'));
after(() => rmSync(root, { recursive: true, force: true }));

const limits: Limits = { wallTimeMs: 20_000, memoryBytes: 512 << 20, cpus: 1, pids: 64, outputBytes: 1 << 20, logBytes: 64 << 10, gpus: 0 };
const format = 'id,prob\na,0.5\nb,0.5\nc,0.5\nd,0.5\ne,0.5\n';
const labels = 'id,prob,usage\na,1,Public\nb,0,Public\nc,1,Private\nd,0,Private\ne,1,Private\n';
// Quoted and in another order than the format: the program gets the rows as written.
const predictions = 'id,prob\n"e",0.1\nd,0.2\nc,0.7\nb,0.6\na,0.9\n';

const unsupported = missingHostRequirements();
const skip = unsupported.length > 0 ? `host cannot run sandboxes: ${unsupported.join('; ')}` : false;

describe('scoring programs, run in the sandbox', { skip }, () => {
  let executor: SandboxExecutor;
  before(async () => {
    executor = new SandboxExecutor({ workspaceRoot: join(root, 'sandbox') });
    await executor.check();
  });

  /** Scores the fixture predictions with the fixture program `name`. */
  async function scoreWith(name: string, options: { metrics?: [string, ...string[]]; limits?: Partial<Limits>; labels?: string } = {}): Promise<ScoreOutcome> {
    const command = await metadataCommand(join(programs, name));
    if (typeof command === 'string') assert.fail(command);
    const dir = mkdtempSync(join(root, `${name}-`));
    mkdirSync(join(dir, 'out'));
    mkdirSync(join(dir, 'work'));
    writeFileSync(join(dir, 'format.csv'), format);
    writeFileSync(join(dir, 'labels.csv'), options.labels ?? labels);
    writeFileSync(join(dir, 'out', 'submission.csv'), predictions);
    const [primary, ...extra] = options.metrics ?? ['accuracy', 'rows'];
    const program: ScoringProgram = { dir: name, command, limits: { ...limits, ...options.limits } };
    const scoring: ScoringConfig = {
      primary: { metric: primary, higherIsBetter: true },
      extra: extra.map((metric) => ({ metric, higherIsBetter: true })),
      split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' },
      program,
    };
    return scorePredictions({
      predictionsPath: join(dir, 'out', 'submission.csv'),
      submissionFormatPath: join(dir, 'format.csv'),
      labelsPath: join(dir, 'labels.csv'),
      idColumn: 'id',
      scoring,
      program: { executor, bundleDir: programs, workDir: join(dir, 'work'), runId: `test-${randomUUID().slice(0, 8)}`, runtime: 'host' },
    });
  }

  function assertScoringError(outcome: ScoreOutcome, message: RegExp, log?: RegExp): void {
    assert.equal(outcome.ok, false, JSON.stringify(outcome));
    if (outcome.ok) return;
    assert.equal(outcome.reason, 'scoring_error');
    assert.match(outcome.message, message);
    if (log) assert.match(outcome.hostLog ?? '', log);
  }

  it('runs a Codabench program once per part, with only that part in ref/ and res/', async () => {
    const outcome = await scoreWith('codabench', { metrics: ['accuracy', 'rows', 'input_writable'] });
    assert.deepEqual(outcome, {
      ok: true,
      public: { accuracy: 0.5, rows: 2, input_writable: 0 },
      private: { accuracy: 2 / 3, rows: 3, input_writable: 0 },
      rows: 5,
    });
  });

  it('runs a CodaLab program that uses the fixed /app paths and writes scores.txt', async () => {
    const outcome = await scoreWith('codalab');
    assert.deepEqual(outcome, { ok: true, public: { accuracy: 0.5, rows: 2 }, private: { accuracy: 2 / 3, rows: 3 }, rows: 5 });
  });

  it('gives a part without rows no scores and does not run the program on it', async () => {
    const allPrivate = labels.replaceAll('Public', 'Private');
    const outcome = await scoreWith('codabench', { labels: allPrivate });
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.deepEqual(outcome.public, {});
    assert.equal(outcome.private.rows, 5);
  });

  it('reports a crash as a scoring_error, with the traceback for the host only', async () => {
    const outcome = await scoreWith('crash');
    assertScoringError(outcome, /^the competition's scoring program failed on the public part: it exited with code 1$/, /loading the reference data[\s\S]*ValueError: the reference data has no column 'target'/);
  });

  it('reports a scores file that is not JSON', async () => {
    assertScoringError(await scoreWith('garbage'), /scores\.json is not valid JSON/, /\[scoring program, public part: scores\.json is not valid JSON/);
  });

  it('reports a program that writes no scores, or lacks the primary metric', async () => {
    assertScoringError(await scoreWith('no-scores'), /neither scores\.json nor scores\.txt was written/, /done, but wrote nothing/);
    assertScoringError(await scoreWith('codabench', { metrics: ['auc'] }), /scores\.json has no "auc"; it has "accuracy", "rows", "input_writable", "ids"/);
    assertScoringError(await scoreWith('codabench', { metrics: ['accuracy', 'ids'] }), /scores\.json gives "ids" as \["a","b"\], not a finite number/);
  });

  it('stops a program that passes its time limit', async () => {
    const started = Date.now();
    const outcome = await scoreWith('sleepy', { limits: { wallTimeMs: 1500 } });
    assertScoringError(outcome, /failed on the public part: it passed its time limit of 1\.5 s/, /thinking\.\.\./);
    assert.ok(Date.now() - started < 15_000, 'the sleeping program was not stopped in time');
  });

  it('validates the predictions against the format before running the program', async () => {
    const dir = mkdtempSync(join(root, 'invalid-'));
    writeFileSync(join(dir, 'format.csv'), format);
    writeFileSync(join(dir, 'labels.csv'), labels);
    writeFileSync(join(dir, 'submission.csv'), 'id,prob\na,high\n');
    const outcome = await scorePredictions({
      predictionsPath: join(dir, 'submission.csv'),
      submissionFormatPath: join(dir, 'format.csv'),
      labelsPath: join(dir, 'labels.csv'),
      idColumn: 'id',
      scoring: {
        primary: { metric: 'accuracy', higherIsBetter: true },
        extra: [],
        split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' },
        program: { dir: 'crash', command: ['false'], limits },
      },
      program: { executor, bundleDir: programs, workDir: join(dir, 'work-never-made'), runId: 'never', runtime: 'host' },
    });
    assert.deepEqual(outcome, { ok: false, reason: 'invalid_output', message: 'line 2, column "prob": "high" is not a number; expected a number' });
  });
});

describe('scoring program helpers', () => {
  it('puts the in-run paths into the command', () => {
    assert.deepEqual(programArgv(['python3', '$program/score.py', '${input}', '$output', '$programs', '--out=$output/x', '$shared']), [
      'python3',
      '/app/program/score.py',
      '/app/input',
      '/app/output',
      '$programs',
      '--out=/app/output/x',
      '/app/shared',
    ]);
  });

  it('says why a run gave no scores', () => {
    const program = { limits };
    assert.equal(describeProgramFailure({ outcome: 'exited', exitCode: 0, signal: null }, program), undefined);
    assert.equal(describeProgramFailure({ outcome: 'exited', exitCode: 2, signal: null }, program), 'it exited with code 2');
    assert.equal(describeProgramFailure({ outcome: 'exited', exitCode: null, signal: 'SIGSEGV' }, program), 'it was killed by SIGSEGV');
    assert.equal(describeProgramFailure({ outcome: 'timeout', exitCode: null, signal: 'SIGKILL' }, program), 'it passed its time limit of 20 s');
    assert.equal(describeProgramFailure({ outcome: 'out_of_memory', exitCode: null, signal: 'SIGKILL' }, program), 'it used more than its memory limit of 512 MiB (536870912 bytes)');
  });

});
