import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mount options of every image: read-only, no device files, no setuid. */
const OPTIONS = 'ro,nodev,nosuid';

/**
 * Mounts an erofs image read-only on `dir`. Kernels from 6.12 mount an image file directly; older
 * ones (Debian 12's 6.1) need a loop device, which `-o loop` sets up: tried second.
 * @throws Error with mount's own message when neither works.
 */
export async function mountImage(file: string, dir: string): Promise<void> {
  try {
    await run('mount', ['-t', 'erofs', '-o', OPTIONS, file, dir]);
  } catch (direct) {
    try {
      await run('mount', ['-t', 'erofs', '-o', `${OPTIONS},loop`, file, dir]);
    } catch (loop) {
      throw new Error(`${stderrOf(direct)}; with a loop device: ${stderrOf(loop)}`);
    }
  }
}

/** Unmounts `dir`; the loop device, if any, goes with it (mount sets autoclear). */
export async function unmount(dir: string): Promise<void> {
  await run('umount', [dir]).catch((err: unknown) => {
    throw new Error(`umount ${dir}: ${stderrOf(err)}`);
  });
}

/** Mount points of this process's mount namespace, from /proc/self/mountinfo. */
export async function mountPoints(): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  // Field 5 is the mount point, with space, tab, newline and backslash written as octal escapes.
  return new Set(text.split('\n').filter(Boolean).map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))));
}

/**
 * Whether this host lets this process mount images: erofs is a known file system (or a module
 * the kernel loads on demand) and a mount succeeds (root with CAP_SYS_ADMIN; a container without
 * it cannot). The reason when not, for the log.
 */
export async function mountSupport(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const known = await readFile('/proc/filesystems', 'utf8').then((t) => /\berofs\b/.test(t), () => false);
  const module = known || (await run('modprobe', ['erofs']).then(() => true, () => false));
  if (!module) return { ok: false, reason: 'the kernel has no erofs file system (not built in, and modprobe erofs failed)' };
  const probe = await mkdtemp(path.join(tmpdir(), 'holdout-mount-probe-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'ro,size=4k', 'holdout-probe', probe]);
    await run('umount', [probe]);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `this process may not mount file systems (${stderrOf(err)}): run the worker as root with CAP_SYS_ADMIN` };
  } finally {
    await rmdir(probe).catch(() => undefined);
  }
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).replace(/\s+/g, ' ');
}
