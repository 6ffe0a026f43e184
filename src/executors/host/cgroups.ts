import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The controllers a run needs limits from. */
export const requiredControllers = ['memory', 'pids', 'cpu'] as const;
export type CgroupController = (typeof requiredControllers)[number];

/** cgroup file systems mounted on this host, as listed in /proc/self/mounts. */
export interface CgroupMounts {
  /** Mount point of each cgroup v1 hierarchy, by controller name. */
  v1: ReadonlyMap<string, string>;
  /** Mount point of the cgroup2 file system, if one is mounted. */
  v2: string | null;
}

/**
 * Where a run's cgroups go. `v1`: limits in the per-controller hierarchies, and (on hybrid hosts)
 * a cgroup2 at `unified` used only for `cgroup.kill`. `v2`: one cgroup has it all.
 */
export type CgroupLayout =
  | {
      kind: 'v1';
      controllers: Readonly<Record<CgroupController, string>>;
      unified: string | null;
      /** The cpuacct hierarchy, which counts a run's CPU time (often mounted with cpu); absent: CPU time unknown. */
      cpuacct?: string;
    }
  | { kind: 'v2'; root: string };

/** Undoes the octal escapes (`\040` for a space) of /proc/self/mounts. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses the text of /proc/self/mounts. Pure. */
export function parseCgroupMounts(mountsText: string): CgroupMounts {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  for (const line of mountsText.split('\n')) {
    const [, mountPoint, fsType, options] = line.split(' ');
    if (mountPoint === undefined || options === undefined) continue;
    if (fsType === 'cgroup2') {
      // The first cgroup2 mount wins; later ones are usually bind mounts of the same tree.
      v2 ??= unescapeMountField(mountPoint);
    } else if (fsType === 'cgroup') {
      for (const option of options.split(',')) {
        if (!v1.has(option)) v1.set(option, unescapeMountField(mountPoint));
      }
    }
  }
  return { v1, v2 };
}

/**
 * Decides which cgroup layout to use. Pure: `v2Controllers` is the content of the cgroup2 root's
 * `cgroup.controllers` (empty when unknown), `v2HasKill` whether that tree offers `cgroup.kill`.
 * @returns the layout, or the list of what is missing.
 */
export function chooseCgroupLayout(
  mounts: CgroupMounts,
  v2Controllers: readonly string[],
  v2HasKill: boolean,
): CgroupLayout | { missing: string[] } {
  const v1Missing = requiredControllers.filter((c) => !mounts.v1.has(c));
  if (v1Missing.length === 0) {
    const get = (c: CgroupController): string => mounts.v1.get(c) ?? '';
    const cpuacct = mounts.v1.get('cpuacct');
    return {
      kind: 'v1',
      controllers: { memory: get('memory'), pids: get('pids'), cpu: get('cpu') },
      unified: mounts.v2 !== null && v2HasKill ? mounts.v2 : null,
      ...(cpuacct === undefined ? {} : { cpuacct }),
    };
  }
  if (mounts.v2 !== null) {
    const v2Missing = requiredControllers.filter((c) => !v2Controllers.includes(c));
    if (v2Missing.length === 0) return { kind: 'v2', root: mounts.v2 };
    return { missing: v2Missing.map((c) => `cgroup2 controller "${c}" at ${mounts.v2}`) };
  }
  return { missing: v1Missing.map((c) => `cgroup v1 hierarchy for "${c}"`) };
}

/** Reads this host's mounts and chooses a layout; throws an Error that says what is missing. */
export function detectCgroups(): CgroupLayout {
  const mounts = parseCgroupMounts(readFileSync('/proc/self/mounts', 'utf8'));
  let controllers: string[] = [];
  let hasKill = false;
  if (mounts.v2 !== null) {
    controllers = readFileSync(path.join(mounts.v2, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    // cgroup.kill (Linux 5.14+) exists only in non-root cgroups; the kernel version tells instead.
    hasKill = kernelAtLeast(5, 14);
  }
  const layout = chooseCgroupLayout(mounts, controllers, hasKill);
  if ('missing' in layout) {
    throw new Error(
      `cgroups unusable for sandbox runs: missing ${layout.missing.join(', ')}. ` +
        'Mount cgroup v2 with the memory, pids and cpu controllers enabled ' +
        '(or cgroup v1 hierarchies for them), e.g. boot with systemd.unified_cgroup_hierarchy=1.',
    );
  }
  return layout;
}

function kernelAtLeast(major: number, minor: number): boolean {
  const release = existsSync('/proc/sys/kernel/osrelease')
    ? readFileSync('/proc/sys/kernel/osrelease', 'utf8')
    : '0.0';
  const [maj = 0, min = 0] = release.split('.').map((p) => parseInt(p, 10));
  return maj > major || (maj === major && min >= minor);
}
