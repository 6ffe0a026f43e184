import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../storage/blob-store.js';
import { dataImageKey, DataImageError, type DataImage } from './data-image.js';
import { imageDigest } from './pack-image.js';

/** How a download is split: parts of `partBytes`, `inFlight` at once. */
export interface FetchOptions {
  /** @defaultValue 16 MiB */
  partBytes?: number;
  /** @defaultValue 8 */
  inFlight?: number;
}

/** Where a temporary download of this process lies: `<target>.tmp-<pid>-<uuid>` (a sweep tells dead ones by the pid). */
export function tempDownloadName(target: string): string {
  return `${target}.tmp-${process.pid}-${randomUUID()}`;
}

/**
 * Downloads an image to `target`, ranges in parallel (several connections beat one on a cloud
 * store; FACTS.md), into a
 * temporary file that becomes `target` (by rename) only once its size and sha256 match. A failed,
 * truncated or corrupt download leaves nothing behind, so the next attempt fetches it again.
 * @throws DataImageError saying what was wrong (missing, truncated, digest mismatch, disk full).
 */
export async function fetchImage(blobs: BlobStore, image: DataImage, target: string, options: FetchOptions = {}): Promise<void> {
  const key = dataImageKey(image.digest);
  const stored = await blobs.stat(key);
  if (!stored) throw new DataImageError(`data image ${image.digest} (${image.folder}) is missing from the ${blobs.name} blob store at ${key}: install the competition again`);
  if (stored.bytes !== image.bytes) {
    throw new DataImageError(`data image ${image.digest} (${image.folder}) in the ${blobs.name} blob store has ${stored.bytes} bytes, not the ${image.bytes} it was installed with (truncated or replaced): install the competition again`);
  }
  const temp = tempDownloadName(target);
  try {
    if (image.bytes > 0) await fetchRanges(blobs, key, image.bytes, temp, options);
    else await pipeline(await blobs.get(key), createWriteStream(temp, { flags: 'wx', mode: 0o444 }));
    const got = await imageDigest(temp);
    if (got.bytes !== image.bytes) throw new DataImageError(`data image ${image.digest} (${image.folder}) arrived with ${got.bytes} bytes instead of ${image.bytes} (truncated): not used; the next attempt fetches it again`);
    if (got.digest !== image.digest) throw new DataImageError(`data image ${image.digest} (${image.folder}) does not match its digest: got ${got.digest} (corrupt in the blob store or on the way): not used; the next attempt fetches it again`);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    if (err instanceof DataImageError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOSPC' ? `no space left for its ${image.bytes} bytes beside ${target}: free space on that disk` : e.message;
    throw new DataImageError(`fetching data image ${image.digest} (${image.folder}) failed: ${why}`, { cause: err });
  }
}

async function fetchRanges(blobs: BlobStore, key: string, bytes: number, temp: string, options: FetchOptions): Promise<void> {
  const partBytes = options.partBytes ?? 16 << 20;
  const inFlight = options.inFlight ?? 8;
  const fh = await open(temp, 'wx', 0o444);
  try {
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < bytes && !failed) {
        const start = next;
        const end = Math.min(bytes, start + partBytes) - 1;
        next = end + 1;
        let position = start;
        for await (const chunk of await blobs.get(key, { start, end: end + 1 })) {
          const buf = chunk as Buffer;
          await fh.write(buf, 0, buf.length, position);
          position += buf.length;
        }
        if (position !== end + 1) throw new DataImageError(`data image ${key}: range ${start}-${end} ended after ${position - start} bytes`);
      }
    };
    // Settled, not raced: the file is closed only once no part writes to it any more.
    const parts = Array.from({ length: Math.min(inFlight, Math.ceil(bytes / partBytes)) }, () =>
      worker().catch((err: unknown) => {
        failed = true;
        throw err;
      }),
    );
    const rejected = (await Promise.allSettled(parts)).find((r) => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    await fh.sync();
  } finally {
    await fh.close();
  }
}
