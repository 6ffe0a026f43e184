import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SplitSpec } from '../domain/competition.js';
import { withHostFile } from './host-data-cache.js';
import { PRIVATE, PUBLIC, readLabels } from './read-labels.js';
import { seededPublic, splitHash } from './split-hash.js';
import { readSubmissionFormat } from './submission-format.js';

const root = mkdtempSync(join(tmpdir(), 'holdout-split-'));
after(() => rmSync(root, { recursive: true, force: true }));

const ids = Array.from({ length: 20_000 }, (_, i) => `row_${i}`);

/** Writes a format and labels (rows in the given order) and reads the parts back. */
async function partsFor(split: SplitSpec, order: number[], usage?: (i: number) => string): Promise<Uint8Array> {
  const dir = mkdtempSync(join(root, 'case-'));
  writeFileSync(join(dir, 'format.csv'), `id,y\n${ids.map((id) => `${id},0`).join('\n')}\n`);
  const rows = order.map((i) => `${ids[i]},1,${usage ? usage(i) : ''}`);
  writeFileSync(join(dir, 'labels.csv'), `id,y,usage\n${rows.join('\n')}\n`);
  const formatPath = join(dir, 'format.csv');
  const labelsPath = join(dir, 'labels.csv');
  const format = await withHostFile(formatPath, 'format', (handle, stats) => readSubmissionFormat(handle, Number(stats.size), formatPath, 'id'));
  const labels = await withHostFile(labelsPath, 'labels', (handle, stats) => readLabels(handle, Number(stats.size), labelsPath, 'id', format, ['y'], split));
  return labels.parts;
}

const inOrder = ids.map((_, i) => i);
const reversed = [...inOrder].reverse();

describe('column split', () => {
  it('puts each row where its split column says', async () => {
    const split: SplitSpec = { kind: 'column', column: 'usage', publicValue: 'Public', privateValue: 'Private' };
    const parts = await partsFor(split, reversed, (i) => (i % 3 === 0 ? 'Public' : 'Private'));
    assert.ok(parts.every((part, i) => part === (i % 3 === 0 ? PUBLIC : PRIVATE)));
  });
});

describe('seeded split', () => {
  const split: SplitSpec = { kind: 'seeded', seed: 42, publicFraction: 0.3 };

  it('is deterministic and ignores the order of the label rows', async () => {
    const first = await partsFor(split, inOrder);
    const again = await partsFor(split, reversed);
    assert.deepEqual(again, first);
    const isPublic = seededPublic(42, 0.3);
    assert.ok(ids.every((id, i) => (first[i] === PUBLIC) === isPublic(id)));
  });

  it('puts roughly publicFraction of the rows in the public part', async () => {
    for (const publicFraction of [0.1, 0.3, 0.5, 0.9]) {
      const parts = await partsFor({ kind: 'seeded', seed: 7, publicFraction }, inOrder);
      const share = parts.filter((part) => part === PUBLIC).length / parts.length;
      assert.ok(Math.abs(share - publicFraction) < 0.015, `fraction ${publicFraction}: got ${share}`);
    }
  });

  it('mixes neighbouring ids and depends on the seed', () => {
    // Ids that differ in their last character must not land together (plain FNV-1a would).
    const run = Array.from({ length: 10 }, (_, i) => splitHash(1, `row_${i}`));
    assert.ok(Math.max(...run) - Math.min(...run) > 0.5, `hashes of row_0..row_9 cluster: ${run.join(', ')}`);
    const seedA = ids.map(seededPublic(1, 0.5));
    const seedB = ids.map(seededPublic(2, 0.5));
    const agree = seedA.filter((value, i) => value === seedB[i]).length / ids.length;
    assert.ok(Math.abs(agree - 0.5) < 0.02, `seeds 1 and 2 agree on ${agree} of ids`);
  });

  it('keeps the same id in the same part for all fractions up to its hash', () => {
    assert.equal(splitHash(42, 'row_7'), splitHash(42, 'row_7'));
    const h = splitHash(42, 'row_7');
    assert.equal(seededPublic(42, h)('row_7'), false);
    assert.equal(seededPublic(42, Math.min(1, h + 1e-9))('row_7'), true);
  });

  it('gives every row a part with fraction 0 or 1', async () => {
    assert.ok((await partsFor({ kind: 'seeded', seed: 3, publicFraction: 0 }, inOrder)).every((p) => p === PRIVATE));
    assert.ok((await partsFor({ kind: 'seeded', seed: 3, publicFraction: 1 }, inOrder)).every((p) => p === PUBLIC));
  });
});
