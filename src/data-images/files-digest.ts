import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { bundleDigest, digestOfManifest } from '../bundle/bundle-digest.js';
import { DataImageError } from './data-image.js';

/**
 * Digest of a folder's files: the bundle digest's recipe (sha256 over each file's relative path and
 * sha256, sorted) with paths relative to the folder. It reads every byte once, so checking a
 * host-provided folder of 2 GB costs one sequential read of it (seconds on local disk).
 * @throws DataImageError for a link, device or other non-file (a volume must hold plain files).
 */
export async function filesDigest(folder: string): Promise<string> {
  return bundleDigest(folder, await listFiles(folder));
}

/** The same digest from paths already relative to the folder and their sha256 (hex). */
export const digestOfHashes = digestOfManifest;

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new DataImageError(`cannot read ${folder}: ${err.code ?? err.message}`, { cause: err });
  });
  const files: string[] = [];
  for (const e of entries) {
    // `parentPath` arrived in Node 20.12; `path` is its older name.
    const parent = (e as unknown as { parentPath?: string; path: string }).parentPath ?? e.path;
    const rel = path.relative(folder, path.join(parent, e.name)).split(path.sep).join('/');
    if (e.isFile()) files.push(rel);
    else if (!e.isDirectory()) throw new DataImageError(`${path.join(folder, rel)} is not a plain file or folder: a data folder holds only files and folders`);
  }
  return files;
}
