/**
 * What a run's root file system is made of, as bubblewrap arguments. The executor adds /proc,
 * /dev, /tmp, the synthetic /etc/passwd, /etc/group and /etc/hosts, and the run's own folders.
 * @remarks A later runtime (a root file system folder) binds its own `usr` instead of the host's;
 * it is added through `SandboxExecutorOptions.runtimes` without touching the executor.
 */
export interface SandboxRuntime {
  readonly name: string;
  /** bwrap setup arguments, applied in order on an empty tmpfs root. */
  readonly rootArgs: readonly string[];
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
