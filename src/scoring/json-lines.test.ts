import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { competitionSchema } from '../bundle/schema.js';
import type { ScoringConfig } from '../domain/competition.js';
import { scorePredictions } from './score-predictions.js';

const root = mkdtempSync(join(tmpdir(), 'holdout-jsonl-'));
after(() => rmSync(root, { recursive: true, force: true }));
let cases = 0;

const scoring: ScoringConfig = {
  primary: { metric: 'roc_auc', higherIsBetter: true, column: 'prob' },
  extra: [{ metric: 'accuracy', higherIsBetter: true, column: 'label' }],
  split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' },
};

async function score(predictions: string, predictionsFormat: 'csv' | 'jsonl' = 'jsonl') {
  const dir = join(root, String(cases++));
  mkdirSync(dir);
  writeFileSync(join(dir, 'format.csv'), 'id,label,prob\na,x,0.5\nb,x,0.5\nc,x,0.5\nd,x,0.5\n');
  writeFileSync(join(dir, 'labels.csv'), 'id,label,prob,usage\na,cat,1,Public\nb,dog,0,Public\nc,cat,1,Private\nd,dog,0,Private\n');
  writeFileSync(join(dir, 'predictions'), predictions);
  const paths = { predictionsPath: join(dir, 'predictions'), submissionFormatPath: join(dir, 'format.csv'), labelsPath: join(dir, 'labels.csv') };
  return scorePredictions({ ...paths, idColumn: 'id', scoring, predictionsFormat, cache: null });
}

async function assertInvalid(predictions: string, message: RegExp): Promise<void> {
  const outcome = await score(predictions);
  assert.equal(outcome.ok ? 'ok' : outcome.reason, 'invalid_output', JSON.stringify(outcome));
  assert.match(outcome.ok ? '' : outcome.message, message);
}

describe('predictions as JSON lines', () => {
  it('scores as the same predictions in CSV do, in any key order, with blank lines and CRLF', async () => {
    const jsonl = [
      '\ufeff{"id": "c", "label": "cat", "prob": 0.8}',
      '{"prob": 0.3, "label": "cat", "id": "a"}',
      '',
      '{"id": "b", "label": "dog", "prob": 1e-1}\r',
      '{"id": "d", "label": "dog", "prob": "0.2"}',
    ].join('\n');
    const csv = 'id,label,prob\nc,cat,0.8\na,cat,0.3\nb,dog,0.1\nd,dog,0.2\n';
    const outcome = await score(jsonl);
    assert.deepEqual(outcome, await score(csv, 'csv'));
    assert.deepEqual(outcome, { ok: true, public: { roc_auc: 1, accuracy: 1 }, private: { roc_auc: 1, accuracy: 1 }, rows: 4 });
  });

  const good = (id: string) => `{"id": "${id}", "label": "cat", "prob": 0.5}`;
  const cases: [string, string, RegExp][] = [
    ['invalid JSON', `${good('a')}\n{"id": "b", "label": "cat", prob: 0.5}\n`, /^line 2 is not valid JSON \(.+\); write one object per line$/],
    ['not an object', `${good('a')}\n[1, 2, 3]\n`, /^line 2 holds an array; expected an object with the keys \{"id", "label", "prob"\}$/],
    ['a missing key', `${good('a')}\n{"id": "b", "label": "cat"}\n`, /^line 2 lacks the key "prob"/],
    ['an unknown key', `{"id": "a", "label": "cat", "prob": 0.5, "extra": 1}\n`, /^line 1 has the key "extra", which is not a column of the submission format/],
    ['a null', `${good('a')}\n\n{"id": "b", "label": "cat", "prob": null}\n`, /^line 3, key "prob": null; expected a number or a string$/],
    ['a probability outside [0, 1]', `${good('a')}\n{"id": "b", "label": "cat", "prob": 1.5}\n`, /^line 2, column "prob": 1\.5 is outside \[0, 1\]; roc_auc needs probabilities$/],
    ['an id twice', `${good('a')}\n${good('a')}\n`, /^line 2: id "a" appears again \(first on line 1\)/],
    ['an unknown id', `${good('z')}\n`, /^line 1: id "z" is not in the submission format/],
    ['missing ids', `${good('a')}\n`, /^3 of the 4 ids of the submission format are missing/],
  ];
  for (const [what, predictions, message] of cases) {
    it(`rejects ${what}, naming the line`, () => assertInvalid(predictions, message));
  }
});

describe('predictions_format in competition.yaml', () => {
  const demo = parse(readFileSync(new URL('../../examples/digits/bundle/competition.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
  it('defaults to CSV and accepts jsonl', () => {
    const csv = competitionSchema.parse(demo);
    assert.equal(csv.predictionsFormat, undefined);
    assert.equal(competitionSchema.parse({ ...demo, predictions_format: 'jsonl', predictions_file: 'predictions.jsonl' }).predictionsFormat, 'jsonl');
  });
  it('refuses JSON lines for a scoring program, and unknown formats', () => {
    const withProgram = { ...demo, predictions_format: 'jsonl', scoring: { primary: { metric: 'score', higher_is_better: true }, program: 'scorer/' } };
    const issues = competitionSchema.safeParse(withProgram).error?.issues ?? [];
    assert.match(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'), /predictions_format: jsonl works with the built-in metrics only/);
    assert.equal(competitionSchema.safeParse({ ...demo, predictions_format: 'parquet' }).success, false);
  });
});
