import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, chmod, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../storage/blob-store.js';

/** The bundle fetched from the blob store is not the one its digest names. Retried like any infrastructure failure. */
export class BundleDigestError extends Error {
  constructor(
    readonly prefix: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`bundle ${prefix} does not match its digest: expected ${expected}, got ${actual}`);
    this.name = 'BundleDigestError';
  }
}

/**
 * Competition bundles materialised on this host's disk, one folder per content digest, fetched
 * from the blob store once and shared by every run (the sandbox mounts parts of it read-only).
 * A download is checked against the bundle's digest before it becomes visible, so a folder that
 * exists holds exactly the bundle its name says; an updated bundle has a new digest, hence a new
 * folder, and no run ever sees the old one's files for it.
 * Each use marks its folder (mtime), so `prune` removes only folders of replaced bundles that no
 * run of this host has used for a while: a run in progress may still have an older one mounted.
 */
export class BundleCache {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly root: string,
  ) {}

  /**
   * Local folder holding the bundle's files; downloads them on first use and checks them against
   * `digest` (`bundleDigest`'s "sha256:…"), when given.
   * @throws BundleDigestError when the downloaded files do not match.
   */
  get(prefix: string, digest?: string): Promise<string> {
    const dir = path.join(this.root, folderName(prefix));
    let p = this.pending.get(dir);
    if (!p) {
      p = this.materialise(prefix, dir, digest).finally(() => this.pending.delete(dir));
      this.pending.set(dir, p);
    }
    return p;
  }

  private async materialise(prefix: string, dir: string, digest: string | undefined): Promise<string> {
    if (await exists(dir)) return markUsed(dir);
    if (!(await this.blobs.stat(`${prefix}/.complete`))) throw new Error(`bundle ${prefix} is incomplete in the blob store`);
    const temp = `${dir}.tmp-${randomUUID()}`;
    const filesPrefix = `${prefix}/files/`;
    try {
      const fileDigests = new Map<string, string>();
      for await (const key of this.blobs.list(filesPrefix)) {
        const rel = key.slice(filesPrefix.length);
        const target = path.join(temp, rel);
        await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
        // Hashed on the way to disk: the check costs no second read.
        const hash = createHash('sha256');
        const tap = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        await pipeline(await this.blobs.get(key), tap, createWriteStream(target, { mode: 0o444 }));
        fileDigests.set(rel, hash.digest('hex'));
      }
      if (digest !== undefined) {
        const actual = combinedDigest(fileDigests);
        if (actual !== digest) throw new BundleDigestError(prefix, digest, actual);
      }
      await mkdir(temp, { recursive: true });
      await chmod(temp, 0o755);
      await rename(temp, dir);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      // Another worker process on this host sharing the cache won the race: use its copy.
      if (await exists(dir)) return markUsed(dir);
      throw err;
    }
    return dir;
  }

  /**
   * Removes the folders (and abandoned downloads) of bundles other than `current` that no worker
   * of this host has used for `unusedMs`; returns their names.
   */
  async prune(current: readonly string[], unusedMs: number, now = Date.now()): Promise<string[]> {
    const keep = new Set(current.map(folderName));
    const removed: string[] = [];
    for (const name of await readdir(this.root).catch(() => [])) {
      const dir = path.join(this.root, name);
      // A claim of this process may be fetching or using it right now, current or not.
      if (keep.has(name) || this.pending.has(dir)) continue;
      const used = await stat(dir).then((s) => s.mtimeMs, () => now);
      if (now - used < unusedMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }
}

/** The cache folder of a bundle prefix ("bundles/x/1" → "bundles_x_1"). */
function folderName(prefix: string): string {
  return prefix.replaceAll('/', '_');
}

/** Marks a folder as used now (its mtime), for `prune`. */
async function markUsed(dir: string): Promise<string> {
  const now = new Date();
  await utimes(dir, now, now).catch(() => undefined);
  return dir;
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The same digest as `bundleDigest` computes from a bundle folder, from each file's sha256. */
function combinedDigest(files: ReadonlyMap<string, string>): string {
  const outer = createHash('sha256');
  for (const rel of [...files.keys()].sort()) outer.update(`${rel}\0${files.get(rel) ?? ''}\n`);
  return `sha256:${outer.digest('hex')}`;
}
