import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
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
 * Packs `files` (paths relative to `root`, all under `folder`) into an uncompressed erofs image.
 * The files are staged first with fixed modes (files 0444, folders 0755), so every run uid can
 * read them whatever modes the host's copy has; times, owners and the UUID are fixed and xattrs
 * left out, so the digest depends only on the names and contents. Uncompressed: `mkfs.erofs -zlz4hc`
 * takes minutes per GiB, and reads from an uncompressed image are as fast as from ext4 (FACTS.md).
 * @throws DataImageError when mkfs.erofs is missing or fails (a full disk included).
 */
export async function packImage(root: string, folder: string, files: readonly string[], tempParent: string): Promise<PackedImage> {
  const temp = await mkdtemp(path.join(tempParent, 'holdout-pack-'));
  const dispose = () => rm(temp, { recursive: true, force: true });
  try {
    const stage = path.join(temp, 'stage');
    const prefix = folder.endsWith('/') ? folder : `${folder}/`;
    const hashes = new Map<string, string>();
    await mkdir(stage, { mode: 0o755 });
    for (const rel of files) {
      if (!rel.startsWith(prefix)) continue;
      const inner = rel.slice(prefix.length);
      const target = path.join(stage, inner);
      await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
      hashes.set(inner, await copyHashed(path.join(root, rel), target));
    }
    await fixFolderModes(stage, [...hashes.keys()]);
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

/** Copies a file (mode 0444) and returns its sha256, read once for both. */
async function copyHashed(from: string, to: string): Promise<string> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(from, { highWaterMark: 1 << 20 }), tap, createWriteStream(to, { mode: 0o444 }));
  await chmod(to, 0o444);
  return hash.digest('hex');
}

/** `mkdir` applies the umask: set 0755 on the stage and every folder above a file. */
async function fixFolderModes(stage: string, files: readonly string[]): Promise<void> {
  const folders = new Set<string>(['']);
  for (const f of files) for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) folders.add(d);
  for (const d of folders) await chmod(path.join(stage, d), 0o755);
}
