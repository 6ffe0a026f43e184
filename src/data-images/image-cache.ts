import { mkdir, readdir, rm, rmdir, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, takePidLock } from '../executors/pid-lock.js';
import type { BlobStore } from '../storage/blob-store.js';
import { DataImageError, type DataImage } from './data-image.js';
import { fetchImage, type FetchOptions } from './fetch-image.js';
import { mountImage, mountPoints, unmount } from './mount-image.js';

/**
 * Data images on this host's disk, each fetched once, checked and mounted read-only under
 * `<root>/mnt/<hex>`; every run of any competition that uses it binds that folder. Worker processes
 * of one host may share the root: a lock file per image makes one of them fetch and mount it.
 * A run's sandbox or container holds its own view of the mount, so unmounting here (prune, close)
 * never takes files away from a run in progress; a later `get` mounts the image again.
 */
export class DataImageCache {
  private readonly pending = new Map<string, Promise<string>>();
  /** Folders this process mounted, unmounted again by `close`. */
  private readonly mounted = new Set<string>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly root: string,
    private readonly fetchOptions: FetchOptions = {},
  ) {}

  /**
   * The mounted folder of an image; fetches and mounts it on first use.
   * @throws DataImageError when it cannot be fetched, does not match its digest or does not mount
   * (the local copy is then removed: the next attempt starts again from the blob store).
   */
  get(image: DataImage): Promise<string> {
    const name = hexOf(image.digest);
    let p = this.pending.get(name);
    if (!p) {
      p = this.materialise(image, name).finally(() => this.pending.delete(name));
      this.pending.set(name, p);
    }
    return p;
  }

  private async materialise(image: DataImage, name: string): Promise<string> {
    const dir = path.join(this.root, 'mnt', name);
    const file = path.join(this.root, `${name}.erofs`);
    if ((await mountPoints()).has(dir)) return markUsed(file, dir);
    await mkdir(path.join(this.root, 'mnt'), { recursive: true });
    const lock = path.join(this.root, `${name}.lock`);
    while (takePidLock(lock) !== undefined) await sleep(100);
    try {
      // Another process of this host may have mounted it while this one waited for the lock.
      if ((await mountPoints()).has(dir)) return markUsed(file, dir);
      const size = await stat(file).then((s) => s.size, () => undefined);
      if (size !== image.bytes) {
        // A copy of another size was cut short outside this code (a full disk, a hand): fetch anew.
        await rm(file, { force: true });
        await fetchImage(this.blobs, image, file, this.fetchOptions);
      }
      await mkdir(dir, { recursive: true, mode: 0o755 });
      try {
        await mountImage(file, dir);
      } catch (err) {
        await rm(file, { force: true });
        await rmdir(dir).catch(() => undefined);
        throw new DataImageError(`data image ${image.digest} (${image.folder}) does not mount: ${(err as Error).message}; its local copy was removed and the next attempt fetches it again`, { cause: err });
      }
      this.mounted.add(dir);
      return await markUsed(file, dir);
    } finally {
      await rm(lock, { force: true });
    }
  }

  /**
   * Unmounts and removes images other than `current` (digests) that no worker of this host has
   * used for `unusedMs`, and cleans what a crashed process left: downloads cut short, mount
   * folders without a mount, mounts whose image file is gone. Returns the digests' hex removed.
   */
  async prune(current: readonly string[], unusedMs: number, now = Date.now()): Promise<string[]> {
    const keep = new Set(current.map(hexOf));
    const mounts = await mountPoints();
    const removed: string[] = [];
    for (const entry of await readdir(this.root).catch(() => [])) {
      const temp = /^[0-9a-f]{64}\.erofs\.tmp-(\d+)-/.exec(entry);
      if (temp) {
        if (!isAlive(Number(temp[1]))) await rm(path.join(this.root, entry), { force: true });
        continue;
      }
      const image = /^([0-9a-f]{64})\.erofs$/.exec(entry)?.[1];
      if (!image || keep.has(image) || this.pending.has(image)) continue;
      const used = await stat(path.join(this.root, entry)).then((s) => s.mtimeMs, () => now);
      if (now - used < unusedMs) continue;
      const dir = path.join(this.root, 'mnt', image);
      if (mounts.has(dir)) await unmount(dir);
      this.mounted.delete(dir);
      await rmdir(dir).catch(() => undefined);
      await rm(path.join(this.root, entry), { force: true });
      removed.push(image);
    }
    for (const name of await readdir(path.join(this.root, 'mnt')).catch(() => [])) {
      const dir = path.join(this.root, 'mnt', name);
      const hasImage = await stat(path.join(this.root, `${name}.erofs`)).then(() => true, () => false);
      if (mounts.has(dir) && hasImage) continue;
      if (mounts.has(dir)) await unmount(dir);
      await rmdir(dir).catch(() => undefined);
    }
    return removed;
  }

  /** Unmounts what this process mounted (a worker that stops; its runs have ended). */
  async close(): Promise<void> {
    await Promise.allSettled(this.pending.values());
    const mounts = await mountPoints();
    for (const dir of this.mounted) if (mounts.has(dir)) await unmount(dir).catch(() => undefined);
    this.mounted.clear();
  }
}

function hexOf(digest: string): string {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1];
  if (!hex) throw new DataImageError(`not a data image digest: ${digest}`);
  return hex;
}

/** Marks an image as used now (the mtime of its file), for `prune`; returns its folder. */
async function markUsed(file: string, dir: string): Promise<string> {
  const now = new Date();
  await utimes(file, now, now).catch(() => undefined);
  return dir;
}
