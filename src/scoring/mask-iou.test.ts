import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ScoringConfig } from '../domain/competition.js';
import { MetricError } from './metrics/metric.js';
import { metrics } from './metrics/registry.js';
import { maskIou, parseRle } from './metrics/rle-mask.js';
import { scorePredictions } from './score-predictions.js';

const fixtures = new URL('./fixtures/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected-masks.json', fixtures), 'utf8')) as {
  cases: Record<string, { file: string; values: { mask_iou: number } }>;
};

describe('mask_iou matches numpy on decoded masks (fixtures/make_fixtures.py)', () => {
  for (const [name, testCase] of Object.entries(expected.cases)) {
    it(name, () => {
      const rows = readFileSync(new URL(testCase.file, fixtures), 'utf8').split('\n').slice(1, -1).map((line) => line.split(','));
      const got = metrics.mask_iou?.fn(rows.map((r) => r[0] as string), rows.map((r) => r[1] as string));
      assert.ok(got !== undefined && Math.abs(got - testCase.values.mask_iou) <= 1e-9, `got ${got}, numpy gives ${testCase.values.mask_iou}`);
    });
  }
});

describe('RLE masks', () => {
  it('scores empty vs empty 1, and one-sided empties 0', () => {
    assert.equal(maskIou(['', ' '], ['', '']), 1);
    assert.equal(maskIou(['', '3 2'], ['1 1', '']), 0);
    // {1..4} vs {3..6}: 2 shared of 6.
    assert.equal(maskIou(['1 4'], ['3 4']), 2 / 6);
    // Touching runs are fine: {1,2} ∪ {3} vs {1..3}.
    assert.equal(maskIou(['1 2 3 1'], ['1 3']), 1);
  });

  it('says what is wrong with a malformed mask', () => {
    assert.match(String(parseRle('1 2 3')), /3 numbers; an RLE mask is pairs/);
    assert.match(String(parseRle('0 2')), /starts count from 1/);
    assert.match(String(parseRle('1 0')), /lengths are at least 1/);
    assert.match(String(parseRle('1.5 2')), /whole numbers/);
    assert.match(String(parseRle('-1 2')), /whole numbers/);
    assert.match(String(parseRle('5 2 6 1')), /starts before the previous run ends/);
    assert.match(String(parseRle('5 2 1 1')), /must be sorted/);
    assert.throws(() => maskIou(['1 2 3'], ['1 1']), MetricError);
  });
});

describe('mask_iou on a predictions file', () => {
  const root = mkdtempSync(join(tmpdir(), 'holdout-masks-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const scoring: ScoringConfig = {
    primary: { metric: 'mask_iou', higherIsBetter: true },
    extra: [],
    split: { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' },
  };
  let cases = 0;
  async function score(predictions: string) {
    const dir = join(root, String(cases++));
    mkdirSync(dir);
    writeFileSync(join(dir, 'format.csv'), 'ImageId,EncodedPixels\nimg1,1 1\nimg2,1 1\nimg3,1 1\n');
    writeFileSync(join(dir, 'labels.csv'), 'ImageId,EncodedPixels,usage\nimg1,1 4,Public\nimg2,,Public\nimg3,10 5 20 5,Private\n');
    writeFileSync(join(dir, 'submission.csv'), predictions);
    const paths = { predictionsPath: join(dir, 'submission.csv'), submissionFormatPath: join(dir, 'format.csv'), labelsPath: join(dir, 'labels.csv') };
    return scorePredictions({ ...paths, idColumn: 'ImageId', scoring, cache: null });
  }

  it('scores each part as the mean IoU of its rows', async () => {
    const outcome = await score('ImageId,EncodedPixels\nimg3,12 3 20 10\nimg1,3 4\nimg2,\n');
    // Public: img1 2/6, img2 empty vs empty 1. Private: img3 shares 3 + 5 of 5 + 5 + 5 more predicted.
    assert.deepEqual(outcome, { ok: true, public: { mask_iou: (2 / 6 + 1) / 2 }, private: { mask_iou: 8 / 15 }, rows: 3 });
  });

  it("rejects a malformed mask as the participant's error, naming the line and column", async () => {
    const outcome = await score('ImageId,EncodedPixels\nimg1,3 4\nimg2,7\nimg3,1 1\n');
    assert.equal(outcome.ok ? '' : outcome.reason, 'invalid_output');
    assert.match(outcome.ok ? '' : outcome.message, /^line 3, column "EncodedPixels": the mask has 1 numbers; an RLE mask is pairs of "start length" \(mask_iou needs/);
  });
});
