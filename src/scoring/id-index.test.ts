import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdIndex } from './id-index.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const add = (index: IdIndex, id: string) => {
  const b = bytes(id);
  return index.add(b, 0, b.length);
};

describe('IdIndex', () => {
  it('numbers ids in insertion order, finds them by bytes and says when one repeats', () => {
    const index = new IdIndex();
    const ids = Array.from({ length: 50_000 }, (_, i) => (i % 5 === 0 ? `ü-${i}` : `row_${i}`));
    ids.forEach((id) => assert.equal(add(index, id), -1));
    assert.equal(index.size, ids.length);
    assert.equal(add(index, 'row_7'), 7);
    assert.equal(index.size, ids.length);
    ids.forEach((id, i) => {
      assert.equal(index.findText(id), i);
      assert.equal(index.idAt(i), id);
    });
    assert.equal(index.findText('row_50000'), -1);
    assert.equal(index.findText(''), -1);
  });

  it('finds an id inside a larger buffer, trying the expected position first', () => {
    const index = new IdIndex();
    for (const id of ['a', 'b', 'ab', '']) add(index, id);
    const line = bytes('x,ab,y');
    assert.equal(index.find(line, 2, 4), 2);
    assert.equal(index.find(line, 2, 4, 2), 2);
    assert.equal(index.find(line, 2, 4, 0), 2, 'a wrong guess falls back to the table');
    assert.equal(index.find(line, 2, 2), 3, 'the empty id');
    assert.equal(index.find(line, 2, 3, 99), 0, 'a guess past the end is ignored');
  });
});
