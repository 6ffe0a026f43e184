import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Content digest of a bundle: sha256 over every file's relative path and sha256, in sorted order.
 * The same files give the same digest wherever they lie, so caches and results can name the exact
 * data a run saw.
 */
export async function bundleDigest(root: string, files: readonly string[]): Promise<string> {
  return digestOfManifest(await bundleManifest(root, files));
}

/** Each file's sha256 (hex) by relative path: what `bundleDigest` is computed from. */
export async function bundleManifest(root: string, files: readonly string[]): Promise<Map<string, string>> {
  const manifest = new Map<string, string>();
  for (const rel of [...files].sort()) manifest.set(rel, await fileDigest(path.join(root, rel)));
  return manifest;
}

/** The bundle digest of a manifest: a worker checks a manifest it fetched against the recorded digest. */
export function digestOfManifest(files: ReadonlyMap<string, string>): string {
  const outer = createHash('sha256');
  for (const rel of [...files.keys()].sort()) outer.update(`${rel}\0${files.get(rel) ?? ''}\n`);
  return `sha256:${outer.digest('hex')}`;
}
