import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HostDataCache } from './host-data-cache.js';
import { ScoringError } from './scoring-error.js';

const root = mkdtempSync(join(tmpdir(), 'holdout-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A cache whose loads read the file's text and count the reads. */
function counting(maxBytes?: number) {
  const cache = new HostDataCache(maxBytes);
  let reads = 0;
  const load = (path: string, key = 'text') =>
    cache.load(
      path,
      'labels',
      key,
      async (handle) => {
        reads++;
        return (await handle.readFile()).toString('utf8');
      },
      (text) => text.length,
    );
  return { cache, load, reads: () => reads };
}

describe('HostDataCache', () => {
  it('reads a file once while it is unchanged, and again once it changes', async () => {
    const file = join(root, 'a.csv');
    writeFileSync(file, 'one');
    const { load, reads } = counting();
    assert.equal(await load(file), 'one');
    assert.equal(await load(file), 'one');
    assert.equal(reads(), 1);
    assert.equal(await load(file, 'other key'), 'one');
    assert.equal(reads(), 2, 'another key is another entry');
    writeFileSync(file, 'two');
    const { mtime } = statSync(file);
    utimesSync(file, mtime, new Date(mtime.getTime() + 5000));
    assert.equal(await load(file), 'two');
    assert.equal(reads(), 3);
  });

  it('drops the least recently used entries past its budget and never keeps an oversized value', async () => {
    const files = ['x', 'y', 'z'].map((name) => {
      const file = join(root, `${name}.csv`);
      writeFileSync(file, name.repeat(40));
      return file;
    });
    const { cache, load, reads } = counting(100);
    await load(files[0] as string);
    await load(files[1] as string);
    await load(files[0] as string); // x is now the most recent
    await load(files[2] as string); // 120 bytes: y goes
    assert.equal(cache.bytes, 80);
    assert.equal(reads(), 3);
    await load(files[0] as string);
    assert.equal(reads(), 3, 'x stayed');
    await load(files[1] as string);
    assert.equal(reads(), 4, 'y was read again');
    const big = join(root, 'big.csv');
    writeFileSync(big, 'b'.repeat(500));
    await load(big);
    await load(big);
    assert.equal(reads(), 6);
    assert.ok(cache.bytes <= 100);
  });

  it('names the file when it cannot be read', async () => {
    const { load } = counting();
    await assert.rejects(load(join(root, 'missing.csv')), (error: unknown) => error instanceof ScoringError && /^labels .*missing\.csv: ENOENT/.test(error.message));
    await assert.rejects(load(root), (error: unknown) => error instanceof ScoringError && /not a regular file/.test(error.message));
  });
});
