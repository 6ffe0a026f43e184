import path from 'node:path';

// What a run sees of its environment and where its folders may go: the same for every executor
// on the worker's host (sandbox and docker), so a run cannot tell which one started it.

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The PATH of every run, unless a run's variables extend it. */
export const basePath = '/usr/local/bin:/usr/bin:/bin';
/** Paths a layout must not shadow: the runtime and the kernel interfaces live there. */
const reservedPaths = ['/usr', '/bin', '/lib', '/lib64', '/sbin', '/etc', '/proc', '/dev', '/tmp', '/opt/nvidia', '/holdout'];

/** The environment of every run: a fixed base plus the spec's variables. Nothing from the host. */
export function sandboxEnvironment(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: basePath, HOME: '/tmp', LANG: 'C.UTF-8' };
  for (const [name, value] of Object.entries(extra)) {
    if (!envName.test(name) || value.includes('\0')) {
      throw new Error(`invalid environment variable for a run: ${JSON.stringify(name)}`);
    }
    env[name] = value;
  }
  return env;
}

/** @throws Error when a layout path is not absolute and normalized, or shadows what every run needs. */
export function checkLayoutPath(kind: string, p: string): void {
  const clean = path.posix.normalize(p);
  if (!path.posix.isAbsolute(p) || clean !== p || p === '/' || p.endsWith('/')) {
    throw new Error(`layout.${kind} must be a normalized absolute path other than "/", got ${JSON.stringify(p)}`);
  }
  for (const reserved of reservedPaths) {
    if (p === reserved || p.startsWith(`${reserved}/`) || reserved.startsWith(`${p}/`)) {
      throw new Error(`layout.${kind} (${p}) overlaps ${reserved}, which the executor provides itself`);
    }
  }
}

