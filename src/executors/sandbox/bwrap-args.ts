import path from 'node:path';
import type { RunLayout } from '../../domain/limits.js';
import { harnessMount } from '../../domain/harness.js';
import { type RunAliasKind, runAliases } from '../executor.js';
import { checkLayoutPath, sandboxEnvironment } from '../host/run-environment.js';

export { basePath, sandboxEnvironment } from '../host/run-environment.js';

/** Everything that decides a run's bubblewrap command line. */
export interface BwrapArgsInput {
  /** The runtime's root file system arguments (see `SandboxRuntime.rootArgs`). */
  rootArgs: readonly string[];
  layout: RunLayout;
  /** Host folders bound at the layout's paths: code and output read-write, data read-only; a harness read-only at `harnessMount`. */
  hostPaths: { code: string; output: string; data: string; harness?: string };
  /** Bind the code read-only. @defaultValue false */
  codeReadOnly?: boolean;
  /** Further paths of the run's folders (see `RunSpec.aliases`). */
  aliases?: Readonly<Record<string, RunAliasKind>>;
  /** Host files bound read-only at /etc/passwd, /etc/group and /etc/hosts. */
  etcFiles: { passwd: string; group: string; hosts: string };
  /** The unprivileged host uid (and gid) the command runs as. */
  uid: number;
  /** argv of the entry point, looked up on the run's PATH. */
  command: readonly string[];
  /** Variables added to the fixed base environment (see `sandboxEnvironment`). */
  env?: Readonly<Record<string, string>>;
  /** @defaultValue "sandbox" */
  hostname?: string;
  /** Descriptor bwrap reports the child's pid and exit code to (JSON documents). */
  statusFd?: number;
  /** Descriptor bwrap reads a compiled seccomp program from. */
  seccompFd?: number;
  /** See `SandboxRuntime.dropPrivileges`; undefined: the runtime's /usr/bin/setpriv. */
  dropPrivileges?: { readonly argv: readonly string[]; readonly envCommand: string };
  /** Added after /proc and /dev are mounted: device nodes bound into /dev, proc entries hidden (see `buildGpuArgs`). */
  deviceArgs?: readonly string[];
}

/** Parent folders of the layout's paths, shallowest first, so each can be created world-readable. */
function ancestorDirs(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    for (let dir = path.posix.dirname(p); dir !== '/'; dir = path.posix.dirname(dir)) dirs.add(dir);
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/**
 * Builds bubblewrap's argv (without the `bwrap` binary itself). Pure.
 *
 * bwrap runs as root without a user namespace, so it can bind any host path; the command then
 * drops to `uid` with setpriv, with no capabilities left, not even in the bounding set. bwrap's own
 * `--uid` would keep host uid 0 behind a user namespace, which is why it is not used.
 * @throws Error for an unusable layout, an empty command or an invalid environment name.
 */
export function buildBwrapArgs(input: BwrapArgsInput): string[] {
  const { layout, hostPaths, etcFiles, uid } = input;
  if (input.command.length === 0) throw new Error('a run needs a command');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`a run's uid must be a positive integer, got ${uid}`);
  const targets = [
    { kind: 'code', dest: layout.code, args: [input.codeReadOnly ? '--ro-bind' : '--bind', hostPaths.code] },
    { kind: 'output', dest: layout.output, args: ['--bind', hostPaths.output] },
    { kind: 'data', dest: layout.data, args: ['--ro-bind', hostPaths.data] },
  ];
  for (const t of targets) checkLayoutPath(t.kind, t.dest);
  if (hostPaths.harness !== undefined) targets.push({ kind: 'harness', dest: harnessMount, args: ['--ro-bind', hostPaths.harness] });
  const aliasArgs: Record<RunAliasKind, string[]> = {
    code: [input.codeReadOnly ? '--ro-bind' : '--bind', hostPaths.code],
    data: ['--ro-bind', hostPaths.data],
    output: ['--bind', hostPaths.output],
    harness: ['--ro-bind', hostPaths.harness ?? ''],
    scratch: ['--perms', '1777', '--tmpfs'],
  };
  for (const [dest, kind] of runAliases(input.aliases, layout, [harnessMount], hostPaths.harness !== undefined)) {
    checkLayoutPath(`alias ${dest}`, dest);
    targets.push({ kind: `alias ${dest}`, dest, args: aliasArgs[kind] });
  }
  if (new Set(targets.map((t) => t.dest)).size !== targets.length) {
    throw new Error('layout.code, layout.data and layout.output must be different paths');
  }
  // A bind over a folder hides what was bound inside it before: mount outer folders first.
  targets.sort((a, b) => a.dest.split('/').length - b.dest.split('/').length);

  const args = [
    '--unshare-net', '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup',
    '--die-with-parent',
    // A new session: no controlling terminal to push input into (TIOCSTI).
    '--new-session',
    '--hostname', input.hostname ?? 'sandbox',
    ...input.rootArgs,
    '--ro-bind', etcFiles.passwd, '/etc/passwd',
    '--ro-bind', etcFiles.group, '/etc/group',
    '--ro-bind', etcFiles.hosts, '/etc/hosts',
    '--proc', '/proc',
    '--dev', '/dev',
    ...(input.deviceArgs ?? []),
    // POSIX semaphores (multiprocessing) need a writable /dev/shm; it and /tmp count as memory.
    '--perms', '1777', '--tmpfs', '/dev/shm',
    '--perms', '1777', '--tmpfs', '/tmp',
  ];
  for (const dir of ancestorDirs(targets.map((t) => t.dest))) args.push('--perms', '0755', '--dir', dir);
  for (const t of targets) args.push(...t.args, t.dest);
  args.push('--chdir', layout.code, '--remount-ro', '/');
  if (input.statusFd !== undefined) args.push('--json-status-fd', String(input.statusFd));
  if (input.seccompFd !== undefined) args.push('--seccomp', String(input.seccompFd));
  args.push('--clearenv');
  const env = sandboxEnvironment(input.env);
  // no_new_privs: the host's setuid programs in /usr (su, mount) cannot raise privileges.
  const drop = ['--reuid', String(uid), '--regid', String(uid), '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'];
  const via = input.dropPrivileges;
  if (via === undefined) {
    for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value);
    args.push('--', '/usr/bin/setpriv', ...drop, ...input.command);
    return args;
  }
  // The privileged part runs with no environment (no locale files read as root); env sets it after the drop.
  if (input.command[0]?.includes('=')) throw new Error(`a run's command cannot start with "${input.command[0]}" (env would take it for a variable)`);
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  args.push('--', ...via.argv, ...drop, via.envCommand, '-i', ...assignments, ...input.command);
  return args;
}
