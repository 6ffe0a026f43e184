import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * The host's setpriv with the host's own loader and libraries, for runtimes whose files the
 * platform does not trust with root (the sandbox's bwrap and the docker executor's container both
 * start as root): bwrap runs as root and the first program it starts (the one
 * that drops to the run's uid) would otherwise be the image's /usr/bin/setpriv, with the image's
 * loader and libc. Bound read-only under /.holdout and started as
 * `/.holdout/ld.so --library-path /.holdout/lib /.holdout/setpriv …`, nothing of the image is
 * loaded before the drop except what ld.so and libc read themselves: /etc/ld.so.preload (which
 * the image cache empties) and, with a locale set, locale files (the environment is empty until
 * after the drop, see `SandboxRuntime.dropPrivileges`).
 */
export interface HostLauncher {
  /** The host files to bind read-only, and where (under /.holdout). */
  readonly files: readonly { readonly source: string; readonly target: string }[];
  /** bwrap arguments that bind the host files under /.holdout. */
  readonly bindArgs: readonly string[];
  /** argv that runs the host's setpriv (its options and the command follow). */
  readonly argv: readonly string[];
}

let cached: HostLauncher | undefined;

/** Shared libraries of `file` as ldd reports them: name asked for → host path. */
function librariesOf(file: string): { loader: string; libs: Map<string, string> } {
  const out = execFileSync('/usr/bin/ldd', [file], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  const libs = new Map<string, string>();
  let loader: string | undefined;
  for (const line of out.split('\n')) {
    const lib = /^\s*(\S+) => (\/\S+) \(0x/.exec(line);
    if (lib?.[1] && lib[2]) libs.set(lib[1], realpathSync(lib[2]));
    const interp = /^\s*(\/\S*ld-linux\S*) \(0x/.exec(line);
    if (interp?.[1]) loader = realpathSync(interp[1]);
  }
  if (!loader) throw new Error(`cannot find the dynamic loader of ${file} in ldd's output; the sandbox needs it to run images`);
  return { loader, libs };
}

/**
 * The host launcher, found once per process with ldd.
 * @throws Error when /usr/bin/setpriv or its loader cannot be found.
 */
export function hostLauncher(setpriv = '/usr/bin/setpriv'): HostLauncher {
  if (cached && setpriv === '/usr/bin/setpriv') return cached;
  const { loader, libs } = librariesOf(setpriv);
  const files = [
    { source: loader, target: '/.holdout/ld.so' },
    { source: realpathSync(setpriv), target: '/.holdout/setpriv' },
    ...[...libs].map(([name, file]) => ({ source: file, target: path.posix.join('/.holdout/lib', name) })),
  ];
  // Folders bwrap makes for a bind are root's alone (0700): the run's uid could not enter them.
  const bindArgs = ['--perms', '0755', '--dir', '/.holdout', '--perms', '0755', '--dir', '/.holdout/lib', ...files.flatMap((f) => ['--ro-bind', f.source, f.target])];
  const launcher: HostLauncher = Object.freeze({
    files: Object.freeze(files.map((f) => Object.freeze(f))),
    bindArgs: Object.freeze(bindArgs),
    argv: Object.freeze(['/.holdout/ld.so', '--library-path', '/.holdout/lib', '/.holdout/setpriv']),
  });
  if (setpriv === '/usr/bin/setpriv') cached = launcher;
  return launcher;
}
