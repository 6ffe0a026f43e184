import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, chmod, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../storage/blob-store.js';

/**
 * Competition bundles materialised on this host's disk, one folder per content digest, fetched
 * from the blob store once and shared by every run (the sandbox mounts parts of it read-only).
 */
export class BundleCache {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly root: string,
  ) {}

  /** Local folder holding the bundle's files; downloads them on first use. */
  get(prefix: string): Promise<string> {
    const dir = path.join(this.root, prefix.replaceAll('/', '_'));
    let p = this.pending.get(dir);
    if (!p) {
      p = this.materialise(prefix, dir).finally(() => this.pending.delete(dir));
      this.pending.set(dir, p);
    }
    return p;
  }

  private async materialise(prefix: string, dir: string): Promise<string> {
    try {
      await access(dir);
      return dir;
    } catch {
      // not cached yet
    }
    if (!(await this.blobs.stat(`${prefix}/.complete`))) throw new Error(`bundle ${prefix} is incomplete in the blob store`);
    const temp = `${dir}.tmp-${randomUUID()}`;
    const filesPrefix = `${prefix}/files/`;
    try {
      for await (const key of this.blobs.list(filesPrefix)) {
        const target = path.join(temp, key.slice(filesPrefix.length));
        await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
        await pipeline(await this.blobs.get(key), createWriteStream(target, { mode: 0o444 }));
      }
      await mkdir(temp, { recursive: true });
      await chmod(temp, 0o755);
      await rename(temp, dir);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
    return dir;
  }
}
