import { constants } from 'node:os';
import type { V1ContainerStatus, V1JobStatus, V1PodStatus } from '@kubernetes/client-node';
import type { RunOutcome } from '../executor.js';
import { containers } from './manifests.js';

/** A failure of the cluster or the platform, not of the submission: the worker retries the run. */
export class ClusterRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterRunError';
  }
}

/** What the executor knows when a run is over (or should be). */
export interface PodObservation {
  /** The run was cancelled through its AbortSignal (the executor deleted the Job). */
  cancelled: boolean;
  /** The executor's own wall-time timer, started when the `run` container started, fired. */
  timedOut: boolean;
  /** The Job's last status; undefined when the Job is gone (deleted by someone else, or lost). */
  job: V1JobStatus | undefined;
  /** The pod's last status; undefined when there is no pod (never created, or deleted). */
  pod: V1PodStatus | undefined;
}

export interface PodOutcome {
  outcome: RunOutcome;
  exitCode: number | null;
  signal: string | null;
  /** Whether the `collect` container is to be read: only a run that ended by itself left outputs. */
  collect: boolean;
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name] as [number, string]));

function containerStatus(pod: V1PodStatus | undefined, name: string): V1ContainerStatus | undefined {
  return [...(pod?.initContainerStatuses ?? []), ...(pod?.containerStatuses ?? [])].find((c) => c.name === name);
}

/** Whether the Job controller ended the Job for its activeDeadlineSeconds. */
function jobDeadlineExceeded(job: V1JobStatus | undefined): boolean {
  return (job?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True' && c.reason === 'DeadlineExceeded');
}

/**
 * A status as a shell reports it: 128 + N is a death by signal N (the same reading as the
 * sandbox's and the docker executor's, so an entry point that exits 137 itself reads as SIGKILL).
 */
function fromStatus(status: number): { exitCode: number | null; signal: string | null } {
  const name = status > 128 ? signalNames.get(status - 128) : undefined;
  return name === undefined ? { exitCode: status, signal: null } : { exitCode: null, signal: name };
}

/**
 * Decides a run's outcome from the pod's termination state. Pure.
 *
 * - cancelled: the caller asked;
 * - out_of_memory: the kubelet reports the `run` container `OOMKilled` (with cgroup v2 and
 *   Kubernetes ≥ 1.28 the whole container is killed at the first OOM kill), or the wrapper
 *   counted OOM kills in the container's cgroup (`exit N oom K`, K > 0);
 * - timeout: our timer after the run started, or the Job's `DeadlineExceeded` once the run had
 *   started (before that, the cluster took the whole grace to start it: a platform failure);
 * - exited: the status the wrapper shell wrote to the termination message (`exit N oom 0`); without
 *   one (the run overwrote it, which only lies about its own status), the container's exit code.
 * @throws ClusterRunError when the cluster lost the run: the Job or pod vanished, the node died or
 * evicted the pod, the code did not arrive, or the run never started within the deadline.
 */
export function decidePodOutcome(o: PodObservation): PodOutcome {
  const run = containerStatus(o.pod, containers.run);
  const started = run?.state?.running !== undefined || run?.state?.terminated !== undefined;
  const terminated = run?.state?.terminated;
  if (o.cancelled) return { outcome: 'cancelled', exitCode: null, signal: null, collect: false };
  const report = /^exit (\d{1,3})(?: oom (\d+))?$/m.exec(terminated?.message ?? '');
  if (terminated?.reason === 'OOMKilled') return { outcome: 'out_of_memory', exitCode: null, signal: 'SIGKILL', collect: false };
  if (o.timedOut || (started && (jobDeadlineExceeded(o.job) || o.pod?.reason === 'DeadlineExceeded'))) {
    return { outcome: 'timeout', exitCode: null, signal: 'SIGKILL', collect: false };
  }
  if (terminated) {
    const wrapperStatus = terminated.exitCode;
    // The wrapper exits 0 after writing the status; anything else means it was killed itself.
    if (wrapperStatus === 0 && report) {
      // OOM kills the kubelet did not see (cgroup v1, or a child killed alone): as in the sandbox,
      // an OOM kill of any process of the run explains a failure better than its exit status.
      if (Number(report[2] ?? 0) > 0) return { outcome: 'out_of_memory', ...fromStatus(Number(report[1])), collect: false };
      return { outcome: 'exited', ...fromStatus(Number(report[1])), collect: true };
    }
    if (wrapperStatus !== 0 && terminated.signal) {
      return { outcome: 'exited', exitCode: null, signal: signalNames.get(terminated.signal) ?? `SIG${terminated.signal}`, collect: false };
    }
    return { outcome: 'exited', ...fromStatus(wrapperStatus), collect: wrapperStatus === 0 };
  }
  throw new ClusterRunError(lostRunMessage(o));
}

/** Why the cluster did not run the submission to its end, in a sentence for the operator. */
function lostRunMessage(o: PodObservation): string {
  if (o.job === undefined) return 'the run\'s Job disappeared from the cluster before the run ended (deleted by someone else, or its namespace was)';
  const code = containerStatus(o.pod, containers.code)?.state?.terminated;
  if (code && code.exitCode !== 0) return `the code did not reach the pod: container "${containers.code}" exited ${code.exitCode}${code.message ? ` (${code.message.trim()})` : ''}`;
  if (jobDeadlineExceeded(o.job)) return `the cluster did not start the run before the Job's deadline${waitingReason(o.pod)}`;
  if (o.pod === undefined) return 'the run\'s pod disappeared (its node was lost or the pod was deleted) before the run ended';
  const disruption = (o.pod.conditions ?? []).find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  if (disruption) return `the cluster stopped the pod (${disruption.reason ?? 'disruption'}: ${disruption.message ?? 'no message'})`;
  if (o.pod.reason) return `the cluster stopped the pod (${o.pod.reason}${o.pod.message ? `: ${o.pod.message}` : ''})`;
  return `the run's pod ended (${o.pod.phase ?? 'unknown phase'}) before the run did${waitingReason(o.pod)}`;
}

function waitingReason(pod: V1PodStatus | undefined): string {
  const waiting = [...(pod?.initContainerStatuses ?? []), ...(pod?.containerStatuses ?? [])].map((c) => c.state?.waiting).find((w) => w?.reason);
  const unscheduled = (pod?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (waiting) return `; last state: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  if (unscheduled) return `; not scheduled: ${unscheduled.message ?? unscheduled.reason ?? ''}`;
  return '';
}

/** Reasons a pod waits that will not pass by themselves: fail the run now instead of at the deadline. */
const hopeless = new Set(['InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/**
 * A problem of a pod that has not finished and never will (a bad image reference, a container the
 * runtime refuses), as a message; undefined while it may still start. `ImagePullBackOff` is left
 * to the deadline: registries come back.
 */
export function stuckPodProblem(pod: V1PodStatus | undefined): string | undefined {
  for (const c of [...(pod?.initContainerStatuses ?? []), ...(pod?.containerStatuses ?? [])]) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && hopeless.has(waiting.reason)) return `container "${c.name}" cannot start: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  }
  return undefined;
}
