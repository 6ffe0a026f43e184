import type { RunSpec } from '../executor.js';
import { type CgroupLayout, detectCgroups } from './cgroups.js';
import { prepareCgroupParent } from './run-cgroup.js';

/** What may name a run's cgroup, workspace folder or container. */
const safeName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** @throws Error when a run id could not name a folder, cgroup or container. */
export function checkRunId(runId: string): void {
  if (!safeName.test(runId)) throw new Error(`runId "${runId}" cannot name a folder, cgroup or container`);
}

/**
 * The GPUs assigned to a run, which must be as many as its limits ask for.
 * @throws Error (the worker's fault) when they are not.
 */
export function assignedGpus(spec: Pick<RunSpec, 'gpus' | 'limits'>): readonly string[] {
  const assigned = spec.gpus ?? [];
  if (assigned.length !== spec.limits.gpus) {
    throw new Error(`the run needs ${spec.limits.gpus} GPU(s) but ${assigned.length} were assigned to it`);
  }
  return assigned;
}

/**
 * The cgroup under which an executor creates its runs' cgroups (relative to each hierarchy's
 * root), and the host's cgroup layout, detected and the parent created on first use.
 */
export class CgroupParent {
  #layout: CgroupLayout | null = null;

  /** @throws Error when `path` is not names separated by "/". */
  constructor(readonly path: string) {
    if (!path.split('/').every((part) => safeName.test(part))) throw new Error(`invalid cgroupParent "${path}": expected names separated by "/"`);
  }

  layout(): CgroupLayout {
    if (this.#layout === null) {
      const layout = detectCgroups();
      prepareCgroupParent(layout, this.path);
      this.#layout = layout;
    }
    return this.#layout;
  }
}
