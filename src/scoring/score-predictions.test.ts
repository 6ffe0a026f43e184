import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ScoringConfig } from '../domain/competition.js';
import { HostDataCache } from './host-data-cache.js';
import { scorePredictions } from './score-predictions.js';
import type { ScoreInput } from './score-types.js';

const root = mkdtempSync(join(tmpdir(), 'holdout-scoring-'));
after(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;

const format = 'id,prob\na,0.5\nb,0.5\nc,0.5\nd,0.5\n';
const labels = 'id,prob,usage\na,1,Public\nb,0,Public\nc,1,Private\nd,0,Private\n';
const scoring: ScoringConfig = {
  primary: { metric: 'roc_auc', higherIsBetter: true },
  extra: [{ metric: 'log_loss', higherIsBetter: false }],
  split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' },
};

/** A fresh folder with the host's files; `predictions` as text, bytes, or left out (missing). */
function setUp(predictions?: string | Buffer, overrides: Partial<ScoreInput> & { labels?: string; format?: string } = {}): ScoreInput {
  const dir = join(root, `case-${folders++}`);
  mkdirSync(join(dir, 'out'), { recursive: true });
  writeFileSync(join(dir, 'format.csv'), overrides.format ?? format);
  writeFileSync(join(dir, 'labels.csv'), overrides.labels ?? labels);
  const predictionsPath = join(dir, 'out', 'submission.csv');
  if (predictions !== undefined) writeFileSync(predictionsPath, predictions);
  return {
    predictionsPath,
    submissionFormatPath: join(dir, 'format.csv'),
    labelsPath: join(dir, 'labels.csv'),
    idColumn: 'id',
    scoring,
    ...overrides,
  };
}

async function assertInvalid(input: ScoreInput, message: RegExp): Promise<void> {
  const outcome = await scorePredictions(input);
  assert.equal(outcome.ok, false, `expected invalid_output, got ${JSON.stringify(outcome)}`);
  if (outcome.ok) return;
  assert.equal(outcome.reason, 'invalid_output', outcome.message);
  assert.match(outcome.message, message);
}

const good = 'id,prob\na,0.9\nb,0.2\nc,0.6\nd,0.4\n';

describe('scorePredictions: the predictions file itself', () => {
  it('scores a valid file on both parts', async () => {
    const outcome = await scorePredictions(setUp(good));
    assert.deepEqual(outcome, {
      ok: true,
      public: { roc_auc: 1, log_loss: -(Math.log(0.9) + Math.log(0.8)) / 2 },
      private: { roc_auc: 1, log_loss: -(Math.log(0.6) + Math.log(0.6)) / 2 },
      rows: 4,
    });
  });

  it('refuses a missing file, naming where it should be', async () => {
    await assertInvalid(
      setUp(undefined),
      /^no predictions file: the program must write submission\.csv to the output folder \(\/code_execution\/submission\)$/,
    );
  });

  it('refuses an empty file', async () => {
    await assertInvalid(setUp(''), /submission\.csv is empty/);
  });

  it('refuses a symbolic link, even to a readable file', async () => {
    const input = setUp(undefined);
    symlinkSync('/etc/passwd', input.predictionsPath);
    await assertInvalid(input, /^submission\.csv is a symbolic link; write a regular file$/);
  });

  it('refuses a fifo without blocking on it', async () => {
    const input = setUp(undefined);
    execFileSync('mkfifo', [input.predictionsPath]);
    await assertInvalid(input, /submission\.csv is a named pipe \(fifo\); write a regular file/);
  });

  it('refuses a directory', async () => {
    const input = setUp(undefined);
    mkdirSync(input.predictionsPath);
    await assertInvalid(input, /submission\.csv is a directory/);
  });

  it('refuses a file over maxBytes, naming both sizes', async () => {
    await assertInvalid({ ...setUp(good), maxBytes: 10 }, /submission\.csv is 32 bytes, more than the 10 bytes limit/);
  });

  it('refuses binary garbage', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    await assertInvalid(setUp(garbage), /submission\.csv is not UTF-8 text: .* on line 1 \(binary data\?\)/);
  });

  it('refuses invalid UTF-8 and NUL bytes, naming the line', async () => {
    const bad = Buffer.concat([Buffer.from('id,prob\na,0.9\nb,0.'), Buffer.from([0xff, 0xfe]), Buffer.from('\nc,1\nd,0\n')]);
    await assertInvalid(setUp(bad), /byte 0xff on line 3/);
    await assertInvalid(setUp('id,prob\na,0.9\nb,0.2\nc\u0000,1\nd,0\n'), /a NUL byte on line 4/);
  });

  it('accepts a BOM, CRLF line ends, blank lines and rows in any order', async () => {
    const outcome = await scorePredictions(setUp('\ufeffid,prob\r\nd,0.4\r\nc,0.6\r\n\r\nb,0.2\r\na,0.9\r\n'));
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
  });
});

describe('scorePredictions: the submission format', () => {
  it('wants the exact header', async () => {
    await assertInvalid(setUp('id,Prob\na,1\n'), /expected "id,prob", got "id,Prob" \(missing "prob"\)/);
    await assertInvalid(setUp('prob,id\n1,a\n'), /expected "id,prob", got "prob,id" \(same columns in another order/);
  });

  it('names a repeated id and both lines', async () => {
    await assertInvalid(setUp('id,prob\na,0.9\nb,0.2\na,0.6\nd,0.4\n'), /^line 4: id "a" appears again \(first on line 2\)/);
  });

  it('names an unknown id', async () => {
    await assertInvalid(setUp('id,prob\na,0.9\nzzz,0.2\n'), /^line 3: id "zzz" is not in the submission format$/);
  });

  it('counts missing ids and shows the first', async () => {
    await assertInvalid(setUp('id,prob\nb,0.2\nd,0.9\n'), /^2 of the 4 ids .* are missing from submission\.csv, e\.g\. "a", "c"$/);
    await assertInvalid(setUp('id,prob\n'), /^4 of the 4 ids/);
  });

  it('wants finite numbers in a numeric column', async () => {
    const row = (value: string) => `id,prob\na,0.9\nb,${value}\nc,0.6\nd,0.4\n`;
    await assertInvalid(setUp(row('NaN')), /^line 3, column "prob": "NaN" is not a finite number; expected a number$/);
    await assertInvalid(setUp(row('inf')), /^line 3, column "prob": "inf" is not a finite number/);
    await assertInvalid(setUp(row('-Infinity')), /"-Infinity" is not a finite number/);
    await assertInvalid(setUp(row('high')), /^line 3, column "prob": "high" is not a number; expected a number$/);
    await assertInvalid(setUp(row('')), /^line 3, column "prob": is empty; expected a number$/);
  });

  it('wants probabilities in [0, 1] for a metric that needs them', async () => {
    await assertInvalid(setUp('id,prob\na,0.9\nb,1.2\n'), /^line 3, column "prob": 1\.2 is outside \[0, 1\]; roc_auc needs probabilities$/);
    await assertInvalid(setUp('id,prob\na,-0.1\n'), /line 2.*outside \[0, 1\]/);
  });

  it('wants whole numbers where numeric classes are scored', async () => {
    const input = setUp('id,label\na,1\nb,0.5\n', {
      format: 'id,label\na,0\nb,0\n',
      labels: 'id,label,usage\na,1,Public\nb,0,Private\n',
      scoring: { ...scoring, primary: { metric: 'accuracy', higherIsBetter: true }, extra: [] },
    });
    await assertInvalid(input, /^line 3, column "label": 0\.5 is not a class label; expected a whole number$/);
  });

  it('names a ragged row', async () => {
    await assertInvalid(setUp('id,prob\na,0.9\nb,0.2,extra\n'), /^line 3 has 3 field\(s\); expected 2, as in the header \(id,prob\)$/);
    await assertInvalid(setUp('id,prob\na,0.9\nb\n'), /^line 3 has 1 field\(s\); expected 2/);
  });

  it('reports broken quoting and absurdly long lines as bad CSV', async () => {
    await assertInvalid(setUp('id,prob\na,"0.9\nb,0.2\n'), /submission\.csv is not a valid CSV file: .*Quote Not Closed/);
    await assertInvalid(setUp(`id,prob\na,${'1'.repeat(2 << 20)}\n`), /not a valid CSV file: line 2 is longer than 1 MiB/);
  });
});

describe('scorePredictions: the host side', () => {
  it('matches scikit-learn end to end on the fixture competition', async () => {
    const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));
    const expected = JSON.parse(readFileSync(join(dir, 'expected-e2e.json'), 'utf8')) as {
      public: Record<string, number>;
      private: Record<string, number>;
      rows: number;
    };
    const outcome = await scorePredictions({
      predictionsPath: join(dir, 'e2e-predictions.csv'),
      submissionFormatPath: join(dir, 'e2e-format.csv'),
      labelsPath: join(dir, 'e2e-labels.csv'),
      idColumn: 'id',
      scoring: {
        primary: { metric: 'accuracy', higherIsBetter: true, column: 'label' },
        extra: [
          { metric: 'f1_macro', higherIsBetter: true },
          { metric: 'roc_auc', higherIsBetter: true, column: 'prob' },
          { metric: 'log_loss', higherIsBetter: false, column: 'prob' },
        ],
        split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' },
      },
    });
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.rows, expected.rows);
    for (const part of ['public', 'private'] as const) {
      assert.deepEqual(Object.keys(outcome[part]).sort(), Object.keys(expected[part]).sort());
      for (const [metric, value] of Object.entries(expected[part])) {
        const got = outcome[part][metric] as number;
        assert.ok(Math.abs(got - value) <= 1e-9, `${part} ${metric}: got ${got}, scikit-learn gives ${value}`);
      }
    }
  });

  it('gives an empty part no scores', async () => {
    const outcome = await scorePredictions(setUp(good, { labels: 'id,prob,usage\na,1,Private\nb,0,Private\nc,1,Private\nd,0,Private\n' }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.deepEqual(outcome.public, {});
    assert.equal(outcome.private.roc_auc, 1);
  });

  const hostFaults: [string, Partial<ScoreInput> & { labels?: string; format?: string }, RegExp][] = [
    ['labels lack the metric column', { labels: 'id,usage\na,Public\n' }, /no column "prob"/],
    ['labels lack the split column', { labels: 'id,prob\na,1\n' }, /no column "usage"/],
    ['labels lack ids', { labels: 'id,prob,usage\na,1,Public\nb,0,Public\n' }, /2 ids of the submission format have no label, e\.g\. "c", "d"/],
    ['labels hold an unknown id', { labels: 'id,prob,usage\nq,1,Public\n' }, /line 2: id "q" is not in the submission format/],
    ['a split value is neither part', { labels: 'id,prob,usage\na,1,Ignored\n' }, /usage is "Ignored"; expected "Public" or "Private"/],
    ['the metric is unknown', { scoring: { ...scoring, primary: { metric: 'auc_pr', higherIsBetter: true } } }, /unknown metric "auc_pr"/],
    ['the format lacks the id column', { format: 'key,prob\na,1\n' }, /no id column "id"/],
    ['a part has one class for roc_auc', { labels: 'id,prob,usage\na,1,Public\nb,1,Public\nc,1,Private\nd,0,Private\n' }, /roc_auc on the public part \(2 rows\): .*one class only/],
    ['the labels file is missing', { labelsPath: '/nonexistent/labels.csv' }, /ENOENT/],
  ];
  for (const [what, overrides, message] of hostFaults) {
    it(`is a scoring_error when ${what}`, async () => {
      const outcome = await scorePredictions(setUp(good, overrides));
      assert.equal(outcome.ok, false);
      if (outcome.ok) return;
      assert.equal(outcome.reason, 'scoring_error', outcome.message);
      assert.match(outcome.message, message);
    });
  }

  it('keeps the parsed host files for the next submission, and reads them again once they change', async () => {
    const cache = new HostDataCache();
    const input = { ...setUp(good), cache };
    const first = await scorePredictions(input);
    assert.ok(first.ok, JSON.stringify(first));
    assert.ok(cache.bytes > 0);
    assert.deepEqual(await scorePredictions(input), first);
    // Swap the two public labels: the public AUC drops from 1 to 0.
    writeFileSync(input.labelsPath, 'id,prob,usage\na,0,Public\nb,1,Public\nc,1,Private\nd,0,Private\n');
    const changed = await scorePredictions(input);
    assert.ok(changed.ok, JSON.stringify(changed));
    assert.equal(changed.public.roc_auc, 0);
    assert.equal(changed.private.roc_auc, 1);
  });

  it('blames the host, not the participant, when both are at fault', async () => {
    const outcome = await scorePredictions(setUp('garbage', { labels: 'id,usage\na,Public\n' }));
    assert.equal(outcome.ok === false && outcome.reason, 'scoring_error');
  });
});
