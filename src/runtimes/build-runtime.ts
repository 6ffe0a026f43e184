import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { access, chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostDebianMirror } from './debian-mirror.js';
import { rootfsPackages } from './dpkg-status.js';
import type { RuntimeRecipe } from './runtime-recipe.js';
import type { BuiltRuntime, RuntimeStore } from './runtime-store.js';
import { treeDigest } from './tree-digest.js';

/** How `buildRuntime` runs. */
export interface BuildRuntimeOptions {
  /**
   * Debian archive to install from.
   * @defaultValue the first Debian source of the host's apt configuration, else deb.debian.org
   */
  mirror?: string;
  /** Output of debootstrap and apt, as it comes. */
  onOutput?: (chunk: Buffer) => void;
  /** One line per step ("debootstrap bookworm", "apt-get install …", "digest"). */
  onStep?: (step: string) => void;
}

/** The sandbox execs setpriv inside the runtime: a root file system without it cannot run anything. */
const requiredInRootfs = ['usr/bin/setpriv', 'usr/bin/env', 'etc/passwd', 'etc/group'];

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
  if (process.getuid?.() !== 0) missing.push('root privileges (debootstrap and chroot need them)');
  const tools: [file: string, fix: string][] = [
    ['/usr/sbin/debootstrap', 'apt-get install debootstrap'],
    ['/usr/sbin/chroot', 'apt-get install coreutils'],
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

/**
 * Builds a runtime from its recipe into the store: `debootstrap --variant=minbase`, then apt from
 * Debian's archive only, then clean-up (apt lists and caches, logs, the build host's resolv.conf
 * and hostname), then a content digest of the whole tree.
 * @remarks Slow (about a minute and a gigabyte for python-ml); nothing else is downloaded. The
 * result depends on the archive's state on the day of the build: its manifest records each
 * package's version and the tree's digest.
 * @throws Error when a tool is missing or a step fails; the half-built tree is removed.
 */
export async function buildRuntime(recipe: RuntimeRecipe, store: RuntimeStore, options: BuildRuntimeOptions = {}): Promise<BuiltRuntime> {
  const missing = missingBuildRequirements();
  if (missing.length > 0) throw new Error(`cannot build runtimes here; missing: ${missing.join('; ')}`);
  const mirror = options.mirror ?? hostDebianMirror();
  const step = options.onStep ?? (() => undefined);
  await mkdir(store.dir, { recursive: true, mode: 0o755 });
  const staging = store.stagingFolder(recipe.name);
  const rootfs = path.join(staging, 'rootfs');
  await mkdir(staging, { mode: 0o755 });
  try {
    step(`debootstrap --variant=minbase ${recipe.distribution} from ${mirror}`);
    await runTool('/usr/sbin/debootstrap', ['--variant=minbase', recipe.distribution, rootfs, mirror], options.onOutput);

    // No service may start inside the chroot while packages are configured.
    const policy = path.join(rootfs, 'usr', 'sbin', 'policy-rc.d');
    await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const inChroot = (...argv: string[]) => runTool('/usr/sbin/chroot', [rootfs, ...argv], options.onOutput);
    step('apt-get update');
    await inChroot('apt-get', 'update');
    step(`apt-get install ${recipe.packages.join(' ')}`);
    await inChroot('apt-get', 'install', '-y', '--no-install-recommends', ...recipe.packages);
    await inChroot('apt-get', 'clean');
    await rm(policy);

    step('cleaning up');
    await sanitizeRootfs(rootfs);
    for (const rel of requiredInRootfs) {
      await access(path.join(rootfs, rel)).catch(() => {
        throw new Error(`the built runtime lacks /${rel}, which the sandbox needs`);
      });
    }
    const installed = await rootfsPackages(rootfs);
    const packages: Record<string, string> = {};
    for (const pkg of recipe.packages) {
      const version = installed.get(pkg.replace(/:.*/, ''));
      if (version === undefined) throw new Error(`apt finished but package ${pkg} is not installed in the runtime`);
      packages[pkg] = version;
    }

    step('computing the content digest');
    const digest = await treeDigest(rootfs);
    await chmod(staging, 0o755);
    return await store.install(recipe.name, staging, {
      name: recipe.name,
      distribution: recipe.distribution,
      packages,
      recipeDigest: recipe.recipeDigest,
      digest,
      builtAt: new Date().toISOString(),
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Removes what only the build needed and what came from the build host, and adds the files the
 * sandbox binds over (it can bind onto an existing file only: the runtime is mounted read-only).
 */
async function sanitizeRootfs(rootfs: string): Promise<void> {
  const clear = ['var/lib/apt/lists', 'var/cache/apt', 'var/log', 'tmp', 'var/tmp', 'run'];
  for (const rel of clear) {
    await rm(path.join(rootfs, rel), { recursive: true, force: true });
    await mkdir(path.join(rootfs, rel), { recursive: true, mode: rel.endsWith('tmp') ? 0o1777 : 0o755 });
    if (rel.endsWith('tmp')) await chmod(path.join(rootfs, rel), 0o1777);
  }
  // debootstrap copies the build host's resolver and name; a run has no network anyway.
  await writeFile(path.join(rootfs, 'etc', 'resolv.conf'), '', { mode: 0o644 });
  await writeFile(path.join(rootfs, 'etc', 'hostname'), 'sandbox\n', { mode: 0o644 });
  await writeFile(path.join(rootfs, 'etc', 'hosts'), '127.0.0.1\tlocalhost\n', { mode: 0o644 });
  await writeFile(path.join(rootfs, 'etc', 'machine-id'), '', { mode: 0o444 });
}
