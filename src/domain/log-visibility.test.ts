import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withholdQuoted } from './log-visibility.js';

it('withholds quoted values a run wrote but keeps the public column names', () => {
  const publicTexts = new Set(['id', 'label', 'id,label']);
  assert.equal(
    withholdQuoted('line 3: id "pixel_0=12,pixel_1=9" is not in the submission format', publicTexts),
    'line 3: id "…" is not in the submission format',
  );
  assert.equal(
    withholdQuoted(`the header must be the submission format's: expected "id,label", got "id,secret \\"data\\"" (missing "label")`, publicTexts),
    `the header must be the submission format's: expected "id,label", got "…" (missing "label")`,
  );
  assert.equal(withholdQuoted('no quotes here', publicTexts), 'no quotes here');
});
