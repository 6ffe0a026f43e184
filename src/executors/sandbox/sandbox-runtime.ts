import path from 'node:path';
import { type HostLauncher, hostLauncher } from '../host/host-launcher.js';

/**
 * What a run's root file system is made of, as bubblewrap arguments. The executor adds /proc,
 * /dev, /tmp, the synthetic /etc/passwd, /etc/group and /etc/hosts, and the run's own folders.
 * @remarks A runtime image (unpacked into a folder, see `rootfsRuntime`) binds its own `usr`
 * and `etc` instead of the host's; it reaches the executor through
 * `SandboxExecutorOptions.runtimes` or `findRuntime` without touching the executor.
 */
export interface SandboxRuntime {
  readonly name: string;
  /** bwrap setup arguments, applied in order on an empty tmpfs root. */
  readonly rootArgs: readonly string[];
  /** Content digest of the runtime's files; undefined for the host's own, which has none. */
  readonly digest?: string;
  /**
   * How the run drops from root to its uid when the runtime's own /usr/bin/setpriv must not run
   * as root (an image's files are not the host's): `argv` runs the host's setpriv (bound by
   * `rootArgs`), in an empty environment; after the drop, `envCommand` (inside the runtime, as the
   * run's uid) sets the run's environment and execs the command.
   * Undefined: the runtime's /usr/bin/setpriv, with the environment set by bwrap.
   */
  readonly dropPrivileges?: { readonly argv: readonly string[]; readonly envCommand: string };
}

/**
 * The host's own /usr, read-only. /usr/local is hidden behind an empty tmpfs (host tools and
 * configuration must not leak) where `python` is an alias of Debian's /usr/bin/python3, which
 * competitions call as `python main.py`.
 */
export const hostRuntime: SandboxRuntime = Object.freeze({
  name: 'host',
  rootArgs: Object.freeze([
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib64', '/lib64',
    '--symlink', 'usr/sbin', '/sbin',
    '--perms', '0755', '--dir', '/etc',
    '--ro-bind-try', '/etc/ld.so.cache', '/etc/ld.so.cache',
    // numpy finds its BLAS through the alternatives links.
    '--ro-bind-try', '/etc/alternatives', '/etc/alternatives',
    // Debian's matplotlib keeps its default settings there and refuses to start without them;
    // fontconfig (text in plots) complains on every run without its configuration.
    '--ro-bind-try', '/etc/matplotlibrc', '/etc/matplotlibrc',
    '--ro-bind-try', '/etc/fonts', '/etc/fonts',
    '--perms', '0755', '--tmpfs', '/usr/local',
    '--perms', '0755', '--dir', '/usr/local/bin',
    '--symlink', '/usr/bin/python3', '/usr/local/bin/python',
    '--remount-ro', '/usr/local',
  ]),
});

/**
 * A runtime image unpacked into a root file system folder (see src/runtimes/image-cache.ts): its
 * `usr` and `etc`, read-only, instead of the host's, and the merged-/usr links. Nothing of the
 * host's programs, libraries or configuration is visible, except the host's setpriv, its loader
 * and libraries under /.holdout, which drop privileges before anything of the image runs (see
 * host-launcher.ts).
 * @remarks The folder must be root-owned and hold `usr/bin/env` (it sets the run's environment
 * after the drop) and `etc/passwd`, `etc/group`, `etc/hosts`: the executor binds its own over
 * them, which a read-only `etc` allows only for files that exist. Its `etc/ld.so.preload` must be
 * absent or empty: the host's loader reads it as root.
 */
export function rootfsRuntime(name: string, rootfs: string, digest: string, launcher: HostLauncher = hostLauncher()): SandboxRuntime {
  return Object.freeze({
    name,
    digest,
    rootArgs: Object.freeze([
      '--ro-bind', path.join(rootfs, 'usr'), '/usr',
      '--symlink', 'usr/bin', '/bin',
      '--symlink', 'usr/lib', '/lib',
      '--symlink', 'usr/lib64', '/lib64',
      '--symlink', 'usr/sbin', '/sbin',
      '--ro-bind', path.join(rootfs, 'etc'), '/etc',
      ...launcher.bindArgs,
    ]),
    dropPrivileges: Object.freeze({ argv: launcher.argv, envCommand: '/usr/bin/env' }),
  });
}

/** The runtimes every sandbox executor knows. */
export const builtinRuntimes: Readonly<Record<string, SandboxRuntime>> = Object.freeze({ host: hostRuntime });

/**
 * Finds a runtime by name.
 * @throws Error naming the known runtimes when `name` is not one of them.
 */
export function resolveSandboxRuntime(
  name: string,
  runtimes: Readonly<Record<string, SandboxRuntime>> = builtinRuntimes,
): SandboxRuntime {
  const runtime = Object.hasOwn(runtimes, name) ? runtimes[name] : undefined;
  if (runtime === undefined) {
    throw new Error(`unknown runtime "${name}" for the sandbox executor (known: ${Object.keys(runtimes).join(', ')})`);
  }
  return runtime;
}
