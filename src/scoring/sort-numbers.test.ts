import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sortNumbers } from './metrics/sort-numbers.js';

describe('sortNumbers', () => {
  it('sorts as Float64Array.prototype.sort does, signed zeros, ties and extremes included', () => {
    let state = 11;
    const next = () => ((state = (Math.imul(state, 48271) >>> 0) % 2147483647) / 2147483647);
    const special = [0, -0, 1, -1, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 0.5, 0.5, 2 ** -1074 * 3];
    for (const n of [0, 1, 5, 255, 256, 1000, 50_000]) {
      const values = Float64Array.from({ length: n }, (_, i) =>
        i % 7 === 0 ? (special[i % special.length] as number) : i % 3 === 0 ? Math.round(next() * 20) / 4 : (next() - 0.3) * 10 ** (next() * 40 - 20),
      );
      const expected = values.slice().sort();
      const got = sortNumbers(values);
      assert.equal(got, values, 'sorts in place');
      for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], expected[i]), `n=${n}, at ${i}: ${got[i]} vs ${expected[i]}`);
    }
  });

  it('sorts probabilities whose high bits are all the same', () => {
    const values = Float64Array.from({ length: 10_000 }, (_, i) => 0.5 + (i % 97) * 1e-12);
    const expected = values.slice().sort();
    assert.deepEqual(sortNumbers(values), expected);
  });
});
