import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { DataImageError } from './data-image.js';
import { digestOfHashes } from './files-digest.js';

const run = promisify(execFile);

/** An image made on this host, in a temporary folder the caller removes (`dispose`). */
export interface PackedImage {
  file: string;
  digest: string;
  bytes: number;
  filesDigest: string;
  dispose(): Promise<void>;
}

/** Fixed, so that the same files always give the same image (and digest). */
const FIXED_UUID = '00000000-0000-0000-0000-000000000000';

/** Whether this host can make images (erofs-utils); without it competitions install without them. */
export async function canPack(): Promise<boolean> {
  return run('mkfs.erofs', ['--help']).then(
    () => true,
    (err: NodeJS.ErrnoException & { stdout?: string }) => err.code !== 'ENOENT' && Boolean(err.stdout),
  );
}

/**
 * Packs the files of `manifest` (bundle-relative path → sha256 hex, as install computed them) that
 * lie under `folder` into an uncompressed erofs image. They are staged first (kernel copies, 16 at
 * a time) with fixed modes (files 0444, folders 0755), so every run uid can read them whatever
 * modes the host's copy has; times, owners and the UUID are fixed and xattrs left out, so the digest
 * depends only on names and contents. Uncompressed: `mkfs.erofs -zlz4hc` takes minutes per GiB,
 * and reads from an uncompressed image are as fast as from ext4 (FACTS.md).
 * @throws DataImageError when mkfs.erofs is missing or fails (a full disk included).
 */
export async function packImage(root: string, folder: string, manifest: ReadonlyMap<string, string>, tempParent: string): Promise<PackedImage> {
  const temp = await mkdtemp(path.join(tempParent, 'holdout-pack-'));
  const dispose = () => rm(temp, { recursive: true, force: true });
  try {
    const stage = path.join(temp, 'stage');
    const prefix = folder.endsWith('/') ? folder : `${folder}/`;
    const hashes = new Map<string, string>();
    for (const [rel, hash] of manifest) if (rel.startsWith(prefix)) hashes.set(rel.slice(prefix.length), hash);
    const inner = [...hashes.keys()];
    const folders = foldersOf(inner);
    await mkdir(stage, { mode: 0o755 });
    for (const d of [...folders].sort()) if (d) await mkdir(path.join(stage, d), { mode: 0o755 });
    let next = 0;
    const copier = async () => {
      while (next < inner.length) {
        const rel = inner[next++]!;
        const target = path.join(stage, rel);
        await copyFile(path.join(root, prefix, rel), target);
        await chmod(target, 0o444);
      }
    };
    await Promise.all(Array.from({ length: 16 }, copier));
    // `mkdir` applies the umask.
    for (const d of folders) await chmod(path.join(stage, d), 0o755);
    const file = path.join(temp, 'image.erofs');
    await run('mkfs.erofs', ['--quiet', '-T0', `-U${FIXED_UUID}`, '--all-root', '-x-1', file, stage], { maxBuffer: 1 << 20 }).catch((err: Error & { stderr?: string }) => {
      throw new DataImageError(`mkfs.erofs could not pack ${folder}: ${err.stderr?.trim() || err.message} (install erofs-utils; check the free space of ${tempParent})`, { cause: err });
    });
    await rm(stage, { recursive: true, force: true });
    const { digest, bytes } = await imageDigest(file);
    return { file, digest, bytes, filesDigest: digestOfHashes(hashes), dispose };
  } catch (err) {
    await dispose();
    if (err instanceof DataImageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataImageError(`packing ${folder} into a data image failed${code === 'ENOSPC' ? `: no space left in ${tempParent}` : ''}: ${(err as Error).message}`, { cause: err });
  }
}

/** sha256 ("sha256:…") and size of a file. */
export async function imageDigest(file: string): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), hash);
  return { digest: `sha256:${hash.digest('hex')}`, bytes: (await stat(file)).size };
}

/** Every folder above a file ('' is the stage itself). */
function foldersOf(files: readonly string[]): Set<string> {
  const folders = new Set<string>(['']);
  for (const f of files) for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) folders.add(d);
  return folders;
}
