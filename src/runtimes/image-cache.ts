import { spawn } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withMountedImage } from './build-runtime.js';
import { imageIdPattern, Podman, PodmanError } from './podman.js';
import { imageCacheFolder } from './runtime-store.js';

/** Files the sandbox binds its own over (a read-only /etc takes binds onto existing files only). */
const boundOver = ['etc/passwd', 'etc/group', 'etc/hosts'];
/** The sandbox sets the run's environment with the image's env, after dropping privileges (see host-launcher.ts). */
const needed = ['usr/bin/env'];

/**
 * Makes `file` (in a folder known to be real) an empty regular file, or keeps it when it is one
 * and `keep`. Never follows a link: an image's `etc/passwd -> /etc/shadow` must not reach the host.
 */
async function plainFile(file: string, keep: boolean): Promise<void> {
  const st = await lstat(file).catch(() => undefined);
  if (st?.isFile() && keep) return;
  if (st) await rm(file, { recursive: true, force: true });
  await writeFile(file, '', { flag: 'wx', mode: 0o644 });
}

function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // cp -a keeps owners, modes (setuid bits included), hard links, links and special files.
    const child = spawn('/usr/bin/cp', ['-a', '--', `${from}/.`, to], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`copying the image's files failed (cp exit ${code}): ${err.trim()}`))));
  });
}

/**
 * The sandbox's copy of runtime images: each image, by image ID, unpacked once into
 * `<runtimesDir>/images/<hex>/rootfs` (`images/` is root-only; read-only for runs), so every run after the
 * first binds an existing folder and calls no podman at all.
 * @remarks The tree is the image's merged file system (`podman image mount`), so it holds exactly
 * what a container of that image sees. Two processes unpacking the same image race harmlessly:
 * each works in its own staging folder and the first rename wins.
 */
export class ImageCache {
  readonly #podman: Podman;
  readonly #pending = new Map<string, Promise<string>>();
  readonly dir: string;

  constructor(runtimesDir: string, podman: Podman = new Podman()) {
    this.dir = path.join(runtimesDir, imageCacheFolder);
    this.#podman = podman;
  }

  /** The folder an image is (or would be) unpacked into. */
  folderOf(digest: string): string {
    if (!imageIdPattern.test(digest)) throw new Error(`"${digest}" is not an image ID (sha256:<64 hex>)`);
    return path.join(this.dir, digest.slice('sha256:'.length));
  }

  /** The unpacked root file system of `digest` if it is in the cache already. */
  async cached(digest: string): Promise<string | undefined> {
    const folder = this.folderOf(digest);
    const done = await stat(path.join(folder, 'image.json')).then(() => true, () => false);
    return done ? path.join(folder, 'rootfs') : undefined;
  }

  /**
   * The root file system of image `digest`, unpacking it first when needed; when podman's storage
   * lacks the image, pulls `pullFrom` and checks that it is that image.
   * @throws Error (an infrastructure failure for the worker) when the image is missing and cannot
   * be pulled, when the pulled image is another one, or when it cannot run in the sandbox.
   */
  async rootfs(digest: string, pullFrom?: string): Promise<string> {
    const hit = await this.cached(digest);
    if (hit) return hit;
    let pending = this.#pending.get(digest);
    if (!pending) {
      pending = this.#unpack(digest, pullFrom).finally(() => this.#pending.delete(digest));
      this.#pending.set(digest, pending);
    }
    return pending;
  }

  async #ensureLocal(digest: string, pullFrom: string | undefined): Promise<void> {
    if ((await this.#podman.imageId(digest)) === digest) return;
    if (pullFrom === undefined) {
      throw new PodmanError(
        'image_missing',
        `runtime image ${digest} is not in this host's podman storage and no image reference was given to pull it from; ` +
          'pull it ("holdout runtime pull <registry/repo@sha256:…>"), build it here ("holdout runtime build <name>"), ' +
          'or update the competition so that it records its runtime image',
      );
    }
    if (pullFrom.startsWith('localhost/')) {
      // A local name (a recipe built on another host): there is no registry to pull it from.
      throw new PodmanError(
        'image_missing',
        `runtime image ${digest} (${pullFrom}) was built on another host and is not in this host's podman storage; ` +
          'push it ("holdout runtime push <name> REGISTRY/REPO:TAG") and update the competition, or load its export here ("podman load -i FILE")',
      );
    }
    const pulled = await this.#podman.pull(pullFrom);
    if (pulled !== digest) {
      throw new Error(
        `${pullFrom} is image ${pulled}, but the competition recorded ${digest}: the image was changed after the competition was installed; ` +
          'push the recorded image again, or update the competition to record the new one',
      );
    }
  }

  async #unpack(digest: string, pullFrom: string | undefined): Promise<string> {
    await this.#ensureLocal(digest, pullFrom);
    // Root only, as podman's own storage: an image may hold setuid-root programs and device nodes,
    // harmless behind the sandbox's nosuid,nodev binds but not for a local user of this host.
    // Runs do not need the path: bwrap binds the trees as root.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const folder = this.folderOf(digest);
    const staging = await mkdtemp(path.join(this.dir, `.unpack-${digest.slice(7, 19)}-`));
    try {
      const rootfs = path.join(staging, 'rootfs');
      await mkdir(rootfs, { mode: 0o755 });
      const started = Date.now();
      await withMountedImage(this.#podman, digest, (merged) => copyTree(merged, rootfs));
      // bwrap binds these host paths and the cache writes into etc: links there would lead to the host's own.
      for (const rel of ['usr', 'etc']) {
        const st = await lstat(path.join(rootfs, rel)).catch(() => undefined);
        if (!st?.isDirectory()) throw new Error(`runtime image ${digest} has no /${rel} folder (${st ? 'a link or file' : 'missing'}); the sandbox binds the image's /usr and /etc`);
      }
      for (const rel of needed) {
        // lstat: a link (busybox's env) resolves inside the image, not on this host.
        await lstat(path.join(rootfs, rel)).catch(() => {
          throw new Error(`runtime image ${digest} lacks /${rel}, which the sandbox runs inside it: install coreutils (or busybox) in the image`);
        });
      }
      // An existing file is kept as it is; a missing one becomes an empty one to bind onto.
      for (const rel of boundOver) await plainFile(path.join(rootfs, rel), true);
      // The host's loader reads /etc/ld.so.preload as root before the run drops privileges: an
      // image's preload must not run there (nor, then, in the run).
      if (await lstat(path.join(rootfs, 'etc', 'ld.so.preload')).then(() => true, () => false)) await plainFile(path.join(rootfs, 'etc', 'ld.so.preload'), false);
      await chmod(staging, 0o755);
      const record = { digest, pulledFrom: pullFrom ?? null, unpackedAt: new Date().toISOString(), unpackMs: Date.now() - started };
      await writeFile(path.join(staging, 'image.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
      try {
        await rename(staging, folder);
      } catch (error) {
        // Another process unpacked the same image first: its tree is the same one.
        if (!(await this.cached(digest))) throw error;
        await rm(staging, { recursive: true, force: true });
      }
      return path.join(folder, 'rootfs');
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }
}
