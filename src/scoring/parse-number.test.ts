import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNumber, parseNumberBytes } from './parse-number.js';
import { seededRandom } from '../../test/helpers/seeded-random.js';

/** parseNumberBytes on `text` placed inside a larger buffer, as the CSV reader hands it over. */
function fromBytes(text: string): number {
  const bytes = Buffer.from(`x,${text},y`);
  return parseNumberBytes(bytes, 2, bytes.length - 2);
}

describe('parseNumberBytes', () => {
  it('reads what parseNumber reads, and rejects what it rejects', () => {
    const texts = [
      '0', '-0', '1', '-1', '0.5', '.5', '5.', '-.5', '00012', '0.1', '0.30000000000000004', '123456789012345',
      '1234567890123456', '9007199254740993', '12345678901234567890', '0.12345678901234567', '1e5', '1E-7', '-2.5e+3',
      '+1', ' 1', '1 ', '\t2\t', '', ' ', '-', '.', '..5', '1.2.3', '0x10', '0o7', '0b1', 'NaN', 'nan', 'inf', '-Infinity',
      '1,5', '１', '9'.repeat(400), `0.${'0'.repeat(30)}1`, '\u00a01', '1_000',
    ];
    for (const text of texts) assert.ok(Object.is(fromBytes(text), parseNumber(text)), `${JSON.stringify(text)}: ${fromBytes(text)} vs ${parseNumber(text)}`);
  });

  it('reads the shortest text of random doubles back exactly, as pandas writes them', () => {
    const next = seededRandom(3);
    for (let i = 0; i < 200_000; i++) {
      const value = i % 3 === 0 ? next() : i % 3 === 1 ? (next() - 0.5) * 10 ** Math.floor(next() * 12) : next() ** 7;
      const text = String(value);
      assert.ok(Object.is(fromBytes(text), Number(text)), text);
      const fixed = value.toFixed(1 + (i % 20));
      assert.ok(Object.is(fromBytes(fixed), Number(fixed)), fixed);
    }
  });
});
