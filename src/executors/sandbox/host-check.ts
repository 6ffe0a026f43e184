import { accessSync, constants } from 'node:fs';

/** Programs the sandbox executor runs, and how to get each on Debian or Ubuntu. */
export const requiredPrograms: ReadonlyArray<{ path: string; fix: string }> = [
  { path: '/usr/bin/bwrap', fix: 'apt-get install bubblewrap' },
  { path: '/usr/bin/setpriv', fix: 'apt-get install util-linux' },
  { path: '/usr/bin/mount', fix: 'apt-get install mount' },
  { path: '/usr/bin/umount', fix: 'apt-get install mount' },
  { path: '/bin/bash', fix: 'apt-get install bash' },
];

/**
 * Lists what this host lacks to run sandboxes: the platform, root, and the programs. cgroups are
 * checked by `detectCgroups`, and the whole chain by a trial run. Returns an empty list if none.
 */
export function missingHostRequirements(): string[] {
  const problems: string[] = [];
  if (process.platform !== 'linux') return [`the sandbox executor needs Linux (this is ${process.platform})`];
  if (process.getuid?.() !== 0) {
    problems.push(
      'root privileges: the worker must run as root to mount the run workspaces and create cgroups ' +
        '(or choose the docker or kubernetes executor)',
    );
  }
  for (const program of requiredPrograms) {
    try {
      accessSync(program.path, constants.X_OK);
    } catch {
      problems.push(`${program.path} (${program.fix})`);
    }
  }
  return problems;
}
