import { readlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isAlive } from '../pid-lock.js';
import type { CgroupLayout } from './cgroups.js';
import { RunCgroup } from './run-cgroup.js';
import { Workspace } from './workspace.js';

/**
 * This process's mark in the names of its runs: its pid namespace (workers in different
 * containers may share a cgroup tree) and its pid.
 */
function ownerMark(pid: number, pidNamespace: string): string {
  return `w${pidNamespace}.${pid.toString(36)}`;
}

function ownPidNamespace(): string {
  // "pid:[4026531836]": the inode number identifies the namespace.
  return (/\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0').replace(/^0+(?=.)/, '');
}

/**
 * The name of a run's cgroup and workspace: its run id, the worker process that owns it, and a
 * random suffix (a retried run id stays clear of what a crashed attempt left). Pure but for the
 * defaults.
 */
export function runName(runId: string, suffix: string, pid = process.pid, pidNamespace = ownPidNamespace()): string {
  return `${runId}-${ownerMark(pid, pidNamespace)}-${suffix}`;
}

/** The owner a run name records, or undefined for a name not made by `runName`. Pure. */
export function runOwner(name: string): { pidNamespace: string; pid: number } | undefined {
  const m = /-w(\d+)\.([0-9a-z]+)-[0-9a-f]+$/.exec(name);
  return m?.[1] && m[2] ? { pidNamespace: m[1], pid: parseInt(m[2], 36) } : undefined;
}

/**
 * Whether `name` (made by `runName`) belongs to a worker of this pid namespace that is gone. Names
 * of other namespaces and names this module did not make are never stale: we cannot tell.
 */
export function isStaleRunName(name: string, alive: (pid: number) => boolean = isAlive, namespace = ownPidNamespace()): boolean {
  const owner = runOwner(name);
  return owner !== undefined && owner.pidNamespace === namespace && !alive(owner.pid);
}

/** Where a host keeps its runs, as `sweepStaleRuns` needs it. */
export interface RunPlaces {
  cgroups: CgroupLayout;
  cgroupParent: string;
  workspaceRoot: string;
}

/**
 * Removes what runs of dead workers left behind (a worker killed with SIGKILL never disposes its
 * runs; bwrap's --die-with-parent ends their processes, but the workspace tmpfs stays mounted and
 * the cgroups stay): kills anything still in their cgroups, removes the cgroups, unmounts and
 * deletes the workspaces. Runs of live processes, of other pid namespaces and names this module
 * did not make are left alone.
 * @returns the names swept
 */
export async function sweepStaleRuns(places: RunPlaces, alive: (pid: number) => boolean = isAlive): Promise<string[]> {
  const namespace = ownPidNamespace();
  const names = new Set(RunCgroup.names(places.cgroups, places.cgroupParent));
  for (const name of await readdir(places.workspaceRoot).catch(() => [])) names.add(name);
  const swept: string[] = [];
  for (const name of names) {
    if (!isStaleRunName(name, alive, namespace)) continue;
    const cgroup = RunCgroup.open(places.cgroups, places.cgroupParent, name);
    await cgroup.killAndWait();
    await cgroup.remove();
    await Workspace.open(places.workspaceRoot, name).dispose();
    swept.push(name);
  }
  return swept;
}
