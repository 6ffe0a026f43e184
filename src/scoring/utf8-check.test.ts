import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotTextError, Utf8Check } from './utf8-check.js';

/** Checks bytes cut into the given chunks; returns them joined, as a reader would pass them on. */
async function guard(chunks: Buffer[]): Promise<Buffer> {
  const check = new Utf8Check();
  for (const chunk of chunks) check.check(chunk);
  check.finish();
  return Buffer.concat(chunks);
}

const text = Buffer.from('id,label\nα,日本\n😀,é\n');

describe('Utf8Check', () => {
  it('passes UTF-8 through unchanged however the chunks cut multi-byte characters', async () => {
    for (let cut = 1; cut < text.length; cut++) {
      assert.deepEqual(await guard([text.subarray(0, cut), text.subarray(cut)]), text, `cut at ${cut}`);
    }
    assert.deepEqual(await guard([...text].map((byte) => Buffer.of(byte))), text);
  });

  it('reports the offset of invalid UTF-8 or a NUL byte', async () => {
    const cases: [Buffer, number][] = [
      [Buffer.concat([Buffer.from('ab\n'), Buffer.of(0xff), Buffer.from('c')]), 3],
      [Buffer.concat([Buffer.from('ab'), Buffer.of(0xc3, 0x28)]), 2], // lead byte, then no continuation
      [Buffer.concat([Buffer.from('abc'), Buffer.of(0xed, 0xa0, 0x80)]), 3], // an encoded surrogate
      [Buffer.from('ab\u0000c'), 2],
      [Buffer.concat([Buffer.from('abc'), Buffer.of(0xe6, 0x97)]), 3], // cut short at the end
    ];
    for (const [bytes, offset] of cases) {
      for (const chunks of [[bytes], [bytes.subarray(0, 3), bytes.subarray(3)]]) {
        await assert.rejects(guard(chunks), (error: unknown) => error instanceof NotTextError && error.offset === offset);
      }
    }
  });
});
