import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { bundleDigest, bundleManifest } from '../bundle/bundle-digest.js';
import { FsBlobStore } from '../storage/fs/fs-blob-store.js';
import { BundleCache, BundleDigestError } from './bundle-cache.js';

describe('BundleCache', () => {
  let dir: string;
  let blobs: FsBlobStore;
  let digest: string;
  const files: Record<string, string> = { 'test/features/x.csv': 'id,x\n1,2\n', 'private/labels.csv': 'id,label\n1,0\n' };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'holdout-bundle-cache-'));
    blobs = new FsBlobStore(path.join(dir, 'blobs'));
    const source = path.join(dir, 'source');
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(source, rel)), { recursive: true });
      await writeFile(path.join(source, rel), text);
      await blobs.put(`bundles/b/1/files/${rel}`, Readable.from([text]));
    }
    await blobs.put('bundles/b/1/.complete', Readable.from(['']));
    digest = await bundleDigest(source, Object.keys(files));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('fetches a bundle once, checks it against its digest, and shares the read-only copy', async () => {
    const caches = [new BundleCache(blobs, path.join(dir, 'cache')), new BundleCache(blobs, path.join(dir, 'cache'))];
    // Two caches on one folder: two worker processes of one host racing for the same bundle.
    const [a, b, c] = await Promise.all([caches[0]?.get('bundles/b/1', digest), caches[1]?.get('bundles/b/1', digest), caches[0]?.get('bundles/b/1', digest)]);
    assert.ok(a);
    assert.deepEqual([b, c], [a, a]);
    assert.equal(await readFile(path.join(a, 'private', 'labels.csv'), 'utf8'), files['private/labels.csv']);
    assert.equal((await stat(path.join(a, 'private', 'labels.csv'))).mode & 0o777, 0o444);
    assert.deepEqual(await readdir(path.join(dir, 'cache')), [path.basename(a)], 'no temporary folder left');
    await blobs.delete('bundles/b/1/files/private/labels.csv');
    assert.equal(await new BundleCache(blobs, path.join(dir, 'cache')).get('bundles/b/1', digest), a, 'served from disk');
    await blobs.put('bundles/b/1/files/private/labels.csv', Readable.from([files['private/labels.csv'] ?? '']));
  });

  it('refuses a bundle whose files do not match the digest, and keeps nothing of it', async () => {
    await blobs.put('bundles/b/2/files/private/labels.csv', Readable.from(['id,label\n1,1\n']));
    await blobs.put('bundles/b/2/files/test/features/x.csv', Readable.from([files['test/features/x.csv'] ?? '']));
    await blobs.put('bundles/b/2/.complete', Readable.from(['']));
    const cache = new BundleCache(blobs, path.join(dir, 'cache2'));
    await assert.rejects(cache.get('bundles/b/2', digest), BundleDigestError);
    assert.deepEqual(await readdir(path.join(dir, 'cache2')).catch(() => []), []);
  });

  it('prunes folders of replaced bundles once unused for a while, never the current ones', async () => {
    const root = path.join(dir, 'cache3');
    const cache = new BundleCache(blobs, root);
    const current = await cache.get('bundles/b/1', digest);
    // A replaced bundle's folder and a download a killed worker abandoned.
    await mkdir(path.join(root, 'bundles_b_0', 'private'), { recursive: true });
    await mkdir(path.join(root, 'bundles_b_0.tmp-dead'));
    const hour = 3_600_000;
    assert.deepEqual(await cache.prune(['bundles/b/1'], hour), [], 'used just now: kept');
    const later = Date.now() + 2 * hour;
    assert.deepEqual((await cache.prune(['bundles/b/1'], hour, later)).sort(), ['bundles_b_0', 'bundles_b_0.tmp-dead']);
    assert.deepEqual(await readdir(root), [path.basename(current)], 'the current bundle stays, however old');
    // Using a folder marks it: a replaced bundle still used by a run is kept.
    await cache.get('bundles/b/1', digest);
    assert.deepEqual(await cache.prune([], hour), []);
  });

  it('copies a bundle without the folders an image serves, checking the rest against the manifest', async () => {
    const manifest = JSON.stringify(Object.fromEntries(await bundleManifest(path.join(dir, 'source'), Object.keys(files))));
    await blobs.put('bundles/b/1/manifest.json', Readable.from([manifest]));
    const cache = new BundleCache(blobs, path.join(dir, 'cache4'));
    const lean = await cache.get('bundles/b/1', digest, { without: ['test/features/'] });
    assert.equal(await readFile(path.join(lean, 'private', 'labels.csv'), 'utf8'), files['private/labels.csv']);
    await assert.rejects(stat(path.join(lean, 'test')), /ENOENT/);
    assert.notEqual(lean, await cache.get('bundles/b/1', digest), 'never taken for the whole bundle');
    assert.deepEqual(await cache.prune(['bundles/b/1'], 0, Date.now() + 1000), [], 'both copies of the current bundle stay');

    // A tampered file, or a manifest that is not the bundle's, is refused and nothing is kept.
    await blobs.put('bundles/b/3/files/private/labels.csv', Readable.from(['id,label\n1,1\n']));
    await blobs.put('bundles/b/3/.complete', Readable.from(['']));
    await blobs.put('bundles/b/3/manifest.json', Readable.from([manifest]));
    const other = new BundleCache(blobs, path.join(dir, 'cache5'));
    await assert.rejects(other.get('bundles/b/3', digest, { without: ['test/features'] }), /private\/labels.csv sha256:[0-9a-f]{64}, got sha256:/);
    await blobs.put('bundles/b/3/manifest.json', Readable.from([manifest.replace(/"[0-9a-f]{64}"/, `"${'0'.repeat(64)}"`)]));
    await assert.rejects(other.get('bundles/b/3', digest, { without: ['test/features'] }), /manifest.json does not match its digest/);
    assert.deepEqual(await readdir(path.join(dir, 'cache5')).catch(() => []), []);
  });
});
