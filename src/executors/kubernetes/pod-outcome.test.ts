import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ContainerState, V1JobStatus, V1PodStatus } from '@kubernetes/client-node';
import { ClusterRunError, decidePodOutcome, type PodObservation, stuckPodProblem } from './pod-outcome.js';

// Statuses shaped as the API server returns them (kubectl get pod -o json of real runs).
const running: V1JobStatus = { active: 1 };
const deadline: V1JobStatus = { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] };
const codeDone: V1ContainerState = { terminated: { exitCode: 0, reason: 'Completed' } };

function pod(run: V1ContainerState | undefined, extra: Partial<V1PodStatus> = {}): V1PodStatus {
  return {
    phase: 'Running',
    initContainerStatuses: [
      { name: 'code', image: 'i', imageID: 'i', ready: false, restartCount: 0, state: codeDone },
      ...(run ? [{ name: 'run', image: 'i', imageID: 'i', ready: false, restartCount: 0, state: run }] : []),
    ],
    ...extra,
  };
}

function observe(o: Partial<PodObservation>): PodObservation {
  return { cancelled: false, timedOut: false, job: running, pod: undefined, ...o };
}

describe('kubernetes pod outcome', () => {
  it('exited: the status the wrapper wrote, a signal read as 128 + N', () => {
    const done = (message: string) => pod({ terminated: { exitCode: 0, reason: 'Completed', message } });
    assert.deepEqual(decidePodOutcome(observe({ pod: done('exit 0\n') })), { outcome: 'exited', exitCode: 0, signal: null, collect: true });
    assert.deepEqual(decidePodOutcome(observe({ pod: done('exit 3 oom 0\n') })), { outcome: 'exited', exitCode: 3, signal: null, collect: true });
    assert.deepEqual(decidePodOutcome(observe({ pod: done('exit 139\n') })), { outcome: 'exited', exitCode: null, signal: 'SIGSEGV', collect: true });
    // The run overwrote its termination message: it only lies about its own status.
    assert.deepEqual(decidePodOutcome(observe({ pod: done('hello') })), { outcome: 'exited', exitCode: 0, signal: null, collect: true });
  });

  it('out_of_memory: OOMKilled, even past the deadline', () => {
    const oom = pod({ terminated: { exitCode: 137, reason: 'OOMKilled' } }, { phase: 'Failed' });
    assert.deepEqual(decidePodOutcome(observe({ pod: oom })), { outcome: 'out_of_memory', exitCode: null, signal: 'SIGKILL', collect: false });
    assert.equal(decidePodOutcome(observe({ pod: oom, job: deadline })).outcome, 'out_of_memory');
    // cgroup v1, or a child killed alone: the wrapper survived and counted the kill.
    const counted = pod({ terminated: { exitCode: 0, reason: 'Completed', message: 'exit 137 oom 1\n' } });
    assert.deepEqual(decidePodOutcome(observe({ pod: counted })), { outcome: 'out_of_memory', exitCode: null, signal: 'SIGKILL', collect: false });
    const survived = pod({ terminated: { exitCode: 0, reason: 'Completed', message: 'exit 0 oom 2\n' } });
    assert.deepEqual(decidePodOutcome(observe({ pod: survived })), { outcome: 'out_of_memory', exitCode: 0, signal: null, collect: false });
  });

  it('timeout: our timer, or the Job deadline once the run had started', () => {
    const started = pod({ running: { startedAt: new Date() } });
    assert.equal(decidePodOutcome(observe({ pod: started, timedOut: true })).outcome, 'timeout');
    assert.equal(decidePodOutcome(observe({ pod: started, job: deadline })).outcome, 'timeout');
    assert.equal(decidePodOutcome(observe({ pod: { ...started, phase: 'Failed', reason: 'DeadlineExceeded' } })).outcome, 'timeout');
    // The Job controller deletes the pod at its deadline: the last status seen is enough.
    assert.equal(decidePodOutcome(observe({ pod: started, job: deadline })).collect, false);
  });

  it('cancelled wins over everything', () => {
    assert.equal(decidePodOutcome(observe({ cancelled: true, timedOut: true, pod: undefined, job: undefined })).outcome, 'cancelled');
  });

  it('the wrapper itself killed by a signal: exited with that signal, no outputs', () => {
    const killed = pod({ terminated: { exitCode: 137, reason: 'Error', signal: 9 } });
    assert.deepEqual(decidePodOutcome(observe({ pod: killed })), { outcome: 'exited', exitCode: null, signal: 'SIGKILL', collect: false });
  });

  it('a run the cluster lost is a platform failure (thrown), with the reason', () => {
    const lost = (o: Partial<PodObservation>, pattern: RegExp) => assert.throws(() => decidePodOutcome(observe(o)), (e: unknown) => e instanceof ClusterRunError && pattern.test(e.message));
    const started = pod({ running: { startedAt: new Date() } });
    lost({ job: undefined, pod: started }, /Job disappeared/);
    lost({ pod: undefined }, /pod disappeared/);
    lost({ pod: { ...started, phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'node not ready' }] } }, /DeletionByTaintManager/);
    lost({ pod: { ...started, phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } }, /Evicted/);
    lost({ pod: pod(undefined, { initContainerStatuses: [{ name: 'code', image: 'i', imageID: 'i', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, message: 'tar: short read' } } }] }) }, /code did not reach the pod.*exited 2/);
    const pulling = pod(undefined, { phase: 'Pending', initContainerStatuses: [{ name: 'code', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] });
    lost({ job: deadline, pod: pulling }, /did not start the run before the Job's deadline; last state: ImagePullBackOff/);
  });

  it('a pod that will never start is reported at once; an image pull back-off waits', () => {
    const waiting = (reason: string) => pod(undefined, { phase: 'Pending', initContainerStatuses: [{ name: 'code', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message: 'm' } } }] });
    assert.match(stuckPodProblem(waiting('InvalidImageName')) ?? '', /container "code" cannot start: InvalidImageName/);
    assert.equal(stuckPodProblem(waiting('ImagePullBackOff')), undefined);
    assert.equal(stuckPodProblem(undefined), undefined);
  });
});
