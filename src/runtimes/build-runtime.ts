import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostDebianMirror } from './debian-mirror.js';
import { rootfsPackages } from './dpkg-status.js';
import type { RuntimeRecipe } from './runtime-recipe.js';
import { Podman } from './podman.js';
import { type BuiltRuntime, latestRuntimeTag, runtimeImageTag, type RuntimeStore } from './runtime-store.js';

/** How `buildRuntime` runs. */
export interface BuildRuntimeOptions {
  /**
   * Debian archive to install from.
   * @defaultValue the first Debian source of the host's apt configuration, else deb.debian.org
   */
  mirror?: string;
  /** Output of debootstrap and apt, as it comes. */
  onOutput?: (chunk: Buffer) => void;
  /** One line per step ("debootstrap bookworm", "podman build …"). */
  onStep?: (step: string) => void;
  /** Make the debootstrap base again even when podman's storage has one. */
  refreshBase?: boolean;
  /** @defaultValue podman from PATH, with this process's environment */
  podman?: Podman;
}

/** The sandbox execs setpriv inside the runtime: an image without it cannot run anything there. */
const requiredInImage = ['usr/bin/setpriv', 'usr/bin/env'];

/** A clean, fixed environment for the build tools: nothing of the caller's leaks into the runtime. */
const toolEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive' };

function runTool(file: string, args: readonly string[], onOutput?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: toolEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const take = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-2000);
      onOutput?.(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} ${args.slice(0, 3).join(' ')} … failed (${signal ?? `exit ${code}`}):\n${tail.trim()}`));
    });
  });
}

/** What a host lacks to build runtimes; empty when it can. */
export function missingBuildRequirements(): string[] {
  if (process.platform !== 'linux') return [`building runtimes needs Linux (this is ${process.platform})`];
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root privileges (debootstrap and podman image mount need them)');
  const tools: [file: string, fix: string][] = [
    ['/usr/sbin/debootstrap', 'apt-get install debootstrap'],
    ['/usr/bin/tar', 'apt-get install tar'],
  ];
  for (const [file, fix] of tools) {
    try {
      accessSync(file, constants.X_OK);
    } catch {
      missing.push(`${file} (${fix})`);
    }
  }
  return missing;
}

/** Local name of the debootstrap base image of a distribution. */
export function baseImageTag(distribution: string): string {
  return `localhost/holdout-runtime/base-${distribution}:latest`;
}

/**
 * Makes the base image of `distribution`: `debootstrap --variant=minbase` from Debian's archive,
 * cleaned of what came from the build host, imported with `podman import`. Kept in podman's
 * storage under `baseImageTag` and reused by later builds unless `refresh`.
 * @returns its image ID
 */
export async function buildBaseImage(distribution: string, podman: Podman, options: BuildRuntimeOptions & { workDir: string }): Promise<string> {
  const tag = baseImageTag(distribution);
  const existing = options.refreshBase ? undefined : await podman.imageId(tag);
  if (existing) return existing;
  const mirror = options.mirror ?? hostDebianMirror();
  const step = options.onStep ?? (() => undefined);
  const rootfs = path.join(options.workDir, 'rootfs');
  step(`debootstrap --variant=minbase ${distribution} from ${mirror}`);
  await runTool('/usr/sbin/debootstrap', ['--variant=minbase', distribution, rootfs, mirror], options.onOutput);
  await sanitizeRootfs(rootfs);
  step(`podman import as ${tag}`);
  const tar = path.join(options.workDir, 'base.tar');
  // Numeric owners: the tree's uids are the image's, whatever names this host gives them.
  await runTool('/usr/bin/tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.'], options.onOutput);
  const id = await podman.importTar(tar, tag);
  await rm(rootfs, { recursive: true, force: true });
  await rm(tar, { force: true });
  return id;
}

/**
 * Builds the image of a recipe: the debootstrap base of its distribution (see `buildBaseImage`),
 * then its Dockerfile with `podman build --pull=never --from <base>` (apt reaches Debian's archive
 * through the mirror debootstrap wrote into the base; no registry is contacted). Records the image
 * ID, its local tag, the recipe digest and each listed package's version in the store.
 * @remarks Slow the first time (about a minute and a gigabyte for python-ml); a rebuild after a
 * recipe change reuses the base. The result depends on the archive's state on the day of the build.
 * @throws Error when a tool is missing or a step fails (nothing is recorded then).
 */
export async function buildRuntime(recipe: RuntimeRecipe, store: RuntimeStore, options: BuildRuntimeOptions = {}): Promise<BuiltRuntime> {
  const missing = missingBuildRequirements();
  if (missing.length > 0) throw new Error(`cannot build runtimes here; missing: ${missing.join('; ')}`);
  const podman = options.podman ?? new Podman();
  const step = options.onStep ?? (() => undefined);
  const containerfile = path.join(recipe.dir, 'Dockerfile');
  await access(containerfile).catch(() => {
    throw new Error(`${containerfile} is missing: a runtime recipe needs a Dockerfile (FROM debian:${recipe.distribution}-slim, then apt-get install of packages.txt)`);
  });
  await mkdir(store.dir, { recursive: true, mode: 0o755 });
  const workDir = await mkdtemp(path.join(store.dir, `.build-${recipe.name}-`));
  try {
    const baseDigest = await buildBaseImage(recipe.distribution, podman, { ...options, workDir });
    step(`podman build ${recipe.name} from ${baseImageTag(recipe.distribution)} (${baseDigest.slice(0, 19)})`);
    const latest = latestRuntimeTag(recipe.name);
    const digest = await podman.build({
      contextDir: recipe.dir,
      containerfile,
      from: baseImageTag(recipe.distribution),
      tag: latest,
      ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    });
    const image = runtimeImageTag(recipe.name, digest);
    await podman.tag(digest, image);

    step('reading package versions');
    const installed = await withMountedImage(podman, digest, async (rootfs) => {
      for (const rel of requiredInImage) {
        await access(path.join(rootfs, rel)).catch(() => {
          throw new Error(`the built image lacks /${rel}, which the sandbox needs (install util-linux and coreutils in the Dockerfile)`);
        });
      }
      return rootfsPackages(rootfs);
    });
    const packages: Record<string, string> = {};
    for (const pkg of recipe.packages) {
      const version = installed.get(pkg.replace(/:.*/, ''));
      if (version === undefined) throw new Error(`the build finished but package ${pkg} is not installed in the image: does the Dockerfile install packages.txt?`);
      packages[pkg] = version;
    }
    return await store.save({
      name: recipe.name,
      distribution: recipe.distribution,
      packages,
      recipeDigest: recipe.recipeDigest,
      digest,
      image,
      baseDigest,
      builtAt: new Date().toISOString(),
      pushed: [],
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Runs `use` on the read-only merged file system of a local image, unmounting it after. */
export async function withMountedImage<T>(podman: Podman, ref: string, use: (rootfs: string) => Promise<T>): Promise<T> {
  const rootfs = await podman.mountImage(ref);
  try {
    return await use(rootfs);
  } finally {
    await podman.unmountImage(ref);
  }
}

/**
 * Removes what only debootstrap needed and what came from the build host (its resolver and name;
 * podman gives each build step its own).
 */
async function sanitizeRootfs(rootfs: string): Promise<void> {
  const clear = ['var/lib/apt/lists', 'var/cache/apt/archives', 'var/log', 'tmp', 'var/tmp', 'run'];
  for (const rel of clear) {
    await rm(path.join(rootfs, rel), { recursive: true, force: true });
    await mkdir(path.join(rootfs, rel), { recursive: true, mode: rel.endsWith('tmp') ? 0o1777 : 0o755 });
    if (rel.endsWith('tmp')) await chmod(path.join(rootfs, rel), 0o1777);
  }
  await mkdir(path.join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true, mode: 0o755 });
  await mkdir(path.join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true, mode: 0o755 });
  await writeFile(path.join(rootfs, 'etc', 'resolv.conf'), '', { mode: 0o644 });
  await writeFile(path.join(rootfs, 'etc', 'hostname'), 'runtime\n', { mode: 0o644 });
  await writeFile(path.join(rootfs, 'etc', 'hosts'), '127.0.0.1\tlocalhost\n', { mode: 0o644 });
  await writeFile(path.join(rootfs, 'etc', 'machine-id'), '', { mode: 0o444 });
}
