import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, chmod, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { text } from 'node:stream/consumers';
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
   * `digest` (`bundleDigest`'s "sha256:…"), when given. `without`: folders that runs read from
   * elsewhere (a mounted data image): left out of the copy, the rest checked file by file against
   * the bundle's manifest, itself checked against `digest` (a bundle installed before manifests
   * existed is copied whole).
   * @throws BundleDigestError when the downloaded files do not match.
   */
  get(prefix: string, digest?: string, options: { without?: readonly string[] } = {}): Promise<string> {
    const without = [...(options.without ?? [])].map((f) => (f.endsWith('/') ? f : `${f}/`)).sort();
    const dir = path.join(this.root, folderName(prefix, without));
    let p = this.pending.get(dir);
    if (!p) {
      p = this.materialise(prefix, dir, digest, without).finally(() => this.pending.delete(dir));
      this.pending.set(dir, p);
    }
    return p;
  }

  private async materialise(prefix: string, dir: string, digest: string | undefined, without: readonly string[]): Promise<string> {
    if (await exists(dir)) return markUsed(dir);
    if (!(await this.blobs.stat(`${prefix}/.complete`))) throw new Error(`bundle ${prefix} is incomplete in the blob store`);
    const manifest = without.length > 0 && digest !== undefined ? await this.manifest(prefix, digest) : undefined;
    if (!manifest) without = [];
    const temp = `${dir}.tmp-${randomUUID()}`;
    const filesPrefix = `${prefix}/files/`;
    try {
      const fileDigests = new Map<string, string>();
      for await (const key of this.blobs.list(filesPrefix)) {
        const rel = key.slice(filesPrefix.length);
        if (without.some((f) => rel.startsWith(f))) continue;
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
      if (manifest) {
        for (const [rel, hash] of manifest) {
          if (without.some((f) => rel.startsWith(f))) continue;
          const got = fileDigests.get(rel) ?? 'missing';
          if (got !== hash) throw new BundleDigestError(prefix, `${rel} sha256:${hash}`, `sha256:${got}`);
        }
        const extra = [...fileDigests.keys()].find((rel) => !manifest.has(rel));
        if (extra) throw new BundleDigestError(prefix, digest!, `a file the manifest does not list (${extra})`);
      } else if (digest !== undefined) {
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

  /** The bundle's manifest (file → sha256), once it matches `digest`; undefined where none was stored. */
  private async manifest(prefix: string, digest: string): Promise<Map<string, string> | undefined> {
    if (!(await this.blobs.stat(`${prefix}/manifest.json`))) return undefined;
    const manifest = new Map(Object.entries(JSON.parse(await text(await this.blobs.get(`${prefix}/manifest.json`))) as Record<string, string>));
    const actual = combinedDigest(manifest);
    if (actual !== digest) throw new BundleDigestError(`${prefix}/manifest.json`, digest, actual);
    return manifest;
  }

  /**
   * Removes the folders (and abandoned downloads) of bundles other than `current` that no worker
   * of this host has used for `unusedMs`; returns their names.
   */
  async prune(current: readonly string[], unusedMs: number, now = Date.now()): Promise<string[]> {
    const keep = new Set(current.map((p) => folderName(p)));
    const removed: string[] = [];
    for (const name of await readdir(this.root).catch(() => [])) {
      const dir = path.join(this.root, name);
      // A claim of this process may be fetching or using it right now, current or not.
      if (keep.has(name.replace(/~[0-9a-f]{12}$/, '')) || this.pending.has(dir)) continue;
      const used = await stat(dir).then((s) => s.mtimeMs, () => now);
      if (now - used < unusedMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }
}

/**
 * The cache folder of a bundle prefix ("bundles/x/1" → "bundles_x_1"); a copy without some folders
 * gets a suffix naming which ("~" + a hash), so it is never taken for the whole bundle.
 */
function folderName(prefix: string, without: readonly string[] = []): string {
  const base = prefix.replaceAll('/', '_');
  return without.length === 0 ? base : `${base}~${createHash('sha256').update(without.join('\0')).digest('hex').slice(0, 12)}`;
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
