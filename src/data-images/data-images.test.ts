import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { bundleManifest } from '../bundle/bundle-digest.js';
import { FsBlobStore } from '../storage/fs/fs-blob-store.js';
import { dataImageKey, type DataImage } from './data-image.js';
import { filesDigest } from './files-digest.js';
import { DataImageCache } from './image-cache.js';
import { mountPoints, mountSupport } from './mount-image.js';
import { canPack } from './pack-image.js';
import { publishDataImages } from './publish-images.js';
import { TestFeatures } from './test-features.js';

const support = await mountSupport();
const skip = !(await canPack()) ? 'mkfs.erofs is missing (apt-get install erofs-utils)' : support.ok ? undefined : support.reason;

let root: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'holdout-images-'));
});
after(async () => {
  // Deepest first: a test that failed midway may leave an image mounted inside its tmpfs.
  for (const m of [...(await mountPoints())].filter((m) => m.startsWith(root)).sort().reverse()) execFileSync('umount', [m]);
  await rm(root, { recursive: true, force: true });
});

/** A bundle-like folder: test features (one file readable only by root) and smoke features. */
async function makeBundle(name: string, featureBytes = 3000): Promise<{ root: string; manifest: Map<string, string>; config: { data: { testFeatures: string; smoke: { features: string; labels: string; submissionFormat: string } } } }> {
  const dir = path.join(root, name);
  await mkdir(path.join(dir, 'test/features/deep'), { recursive: true });
  await mkdir(path.join(dir, 'smoke/features'), { recursive: true });
  await writeFile(path.join(dir, 'test/features/a.csv'), 'id,x\n1,2\n');
  await writeFile(path.join(dir, 'test/features/deep/b.bin'), Buffer.alloc(featureBytes, 7));
  await chmod(path.join(dir, 'test/features/deep/b.bin'), 0o600);
  await writeFile(path.join(dir, 'smoke/features/s.csv'), 'id,x\n9,9\n');
  await writeFile(path.join(dir, 'labels.csv'), 'id,y\n1,0\n');
  const files = ['labels.csv', 'smoke/features/s.csv', 'test/features/a.csv', 'test/features/deep/b.bin'];
  return { root: dir, manifest: await bundleManifest(dir, files), config: { data: { testFeatures: 'test/features/', smoke: { features: 'smoke/features/', labels: 'l', submissionFormat: 'f' } } } };
}

describe('data images', { skip }, () => {
  it('packs reproducibly, publishes once per digest, and a worker mounts it read-only with every file readable', async () => {
    const blobs = new FsBlobStore(path.join(root, 'blobs1'));
    const bundle = await makeBundle('b1');
    const images = (await publishDataImages(bundle, blobs, root))!;
    const again = (await publishDataImages(await makeBundle('b1-copy'), blobs, root))!;
    assert.deepEqual(again, images, 'the same files give the same image, wherever and whenever they are packed');
    assert.equal(images.test.filesDigest, await filesDigest(path.join(bundle.root, 'test/features')));
    assert.notEqual(images.smoke!.digest, images.test.digest);

    const cache = new DataImageCache(blobs, path.join(root, 'cache1'), { partBytes: 4096, inFlight: 3 });
    const dir = await cache.get(images.test);
    assert.ok((await mountPoints()).has(dir));
    assert.equal(await readFile(path.join(dir, 'a.csv'), 'utf8'), 'id,x\n1,2\n');
    const b = await stat(path.join(dir, 'deep/b.bin'));
    assert.equal(b.mode & 0o777, 0o444, 'staged with fixed modes: a run uid reads what the host kept 0600');
    await assert.rejects(writeFile(path.join(dir, 'new'), 'x'), /EROFS/);
    assert.equal(await cache.get(images.test), dir, 'mounted once');
    await cache.close();
    assert.ok(!(await mountPoints()).has(dir));
    assert.equal(await cache.get(images.test), dir, 'mounted again after close, from the local copy');
    await cache.close();
  });

  it('refuses a corrupt, truncated or unmountable image with a clear message, leaves nothing, and works once the blob is right', async () => {
    const blobs = new FsBlobStore(path.join(root, 'blobs2'));
    const images = (await publishDataImages(await makeBundle('b2', 20_000), blobs, root))!;
    const key = dataImageKey(images.test.digest);
    const good = await readFile(path.join(root, 'blobs2', key));
    const cacheRoot = path.join(root, 'cache2');
    const cache = new DataImageCache(blobs, cacheRoot, { partBytes: 8192 });
    const leftovers = async () => (await readdir(cacheRoot).catch(() => [])).filter((n) => n !== 'mnt').concat(await readdir(path.join(cacheRoot, 'mnt')).catch(() => []));

    const flipped = Buffer.from(good);
    flipped[flipped.length - 100]! ^= 0xff;
    await blobs.put(key, Readable.from([flipped]));
    await assert.rejects(cache.get(images.test), /does not match its digest: got sha256:[0-9a-f]{64} .*the next attempt fetches it again/);
    assert.deepEqual(await leftovers(), []);

    await blobs.put(key, Readable.from([good.subarray(0, good.length - 1)]));
    await assert.rejects(cache.get(images.test), new RegExp(`has ${good.length - 1} bytes, not the ${good.length} it was installed with`));

    // An image whose digest is right but which is no erofs: the installer made a bad one.
    const junk = Buffer.alloc(good.length, 1);
    const junkImage: DataImage = { ...images.test, digest: `sha256:${createHash('sha256').update(junk).digest('hex')}` };
    await blobs.put(dataImageKey(junkImage.digest), Readable.from([junk]));
    await assert.rejects(cache.get(junkImage), /does not mount: .*its local copy was removed/);
    assert.deepEqual(await leftovers(), []);

    await blobs.put(key, Readable.from([good]));
    const dir = await cache.get(images.test);
    assert.equal(await readFile(path.join(dir, 'a.csv'), 'utf8'), 'id,x\n1,2\n');
    await cache.close();
  });

  it('says a disk is full, keeps no partial download, and fetches once there is room', async () => {
    const blobs = new FsBlobStore(path.join(root, 'blobs3'));
    const images = (await publishDataImages(await makeBundle('b3', 3 << 20), blobs, root))!;
    const small = path.join(root, 'small');
    await mkdir(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'holdout-test', small]);
    try {
      const cache = new DataImageCache(blobs, small);
      await assert.rejects(cache.get(images.test), /no space left for its \d+ bytes/);
      assert.deepEqual((await readdir(small)).filter((n) => n !== 'mnt'), []);
      execFileSync('mount', ['-o', 'remount,size=8m', small]);
      const dir = await cache.get(images.test);
      assert.ok((await mountPoints()).has(dir));
      await cache.close();
    } finally {
      execFileSync('umount', ['--recursive', small]);
    }
  });

  it('uses a host folder only when its files match the digest recorded at install', async () => {
    const blobs = new FsBlobStore(path.join(root, 'blobs4'));
    const bundle = await makeBundle('b4');
    const images = (await publishDataImages(bundle, blobs, root))!;
    const volume = path.join(bundle.root, 'test/features');
    const features = new TestFeatures(undefined, new Map([['c4', volume]]));
    assert.equal(await features.folder({ slug: 'c4', dataImages: images }, false), volume);
    assert.equal(await features.folder({ slug: 'c4', dataImages: images }, true), undefined, 'smoke is not named: from the bundle copy');

    const stale = new TestFeatures(undefined, new Map([['c4', volume]]));
    await writeFile(path.join(volume, 'a.csv'), 'id,x\n1,3\n');
    await assert.rejects(stale.folder({ slug: 'c4', dataImages: images }, false), /names .*test\/features for c4, but its files' digest is sha256:\w+, not sha256:\w+ as installed/);
  });
});
