import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultLayout } from '../../domain/limits.js';
import { type RunSpec, UnrunnableError } from '../executor.js';
import { KubernetesExecutor, stalePolicies } from './kubernetes-executor.js';

// What the executor refuses before it talks to any cluster (these never reach an API server).
const executor = new KubernetesExecutor({ namespace: 'holdout-runs', dataVolume: { kind: 'pvc', claimName: 'data' }, dataRoot: '/var/lib/holdout/cache/bundles' });
const limits = { wallTimeMs: 1000, memoryBytes: 1 << 28, cpus: 1, pids: 64, outputBytes: 1 << 20, logBytes: 1 << 16, gpus: 0 };
const spec = (over: Partial<RunSpec>): RunSpec => ({
  runId: 'r-1',
  runtime: 'python-ml',
  runtimeImage: `registry.example:5000/holdout/python-ml@sha256:${'b'.repeat(64)}`,
  command: ['python', 'main.py'],
  codeDir: '/nonexistent/code',
  dataDir: '/var/lib/holdout/cache/bundles/b1/data',
  layout: defaultLayout,
  limits,
  logPath: '/nonexistent/log.txt',
  ...over,
});

describe('kubernetes executor: what it refuses up front', () => {
  it('the host runtime, and a runtime without a recorded image', async () => {
    await assert.rejects(executor.run(spec({ runtime: 'host' })), /runs runtime images only/);
    const { runtimeImage: _, ...noImage } = spec({});
    await assert.rejects(executor.run(noImage), /runs runtime images only/);
  });

  it('a harness, as unrunnable (the worker does not retry it), with what to use instead', async () => {
    await assert.rejects(executor.run(spec({ harnessDir: '/nonexistent/harness' })), (e: unknown) => e instanceof UnrunnableError && /does not run a host's harness.*sandbox, docker or slurm/.test(e.message));
    assert.match(executor.cannotRunHarness, /does not run a host's harness/);
  });

  it('an image not pinned by digest', async () => {
    await assert.rejects(executor.run(spec({ runtimeImage: 'registry.example:5000/holdout/python-ml:latest' })), /not pinned by digest/);
  });

  it('data outside the folder the cluster volume mirrors', async () => {
    await assert.rejects(executor.run(spec({ dataDir: '/tmp/elsewhere/data' })), /not under the data root/);
    await assert.rejects(executor.run(spec({ dataDir: '/var/lib/holdout/cache/bundles' })), /not under the data root/);
  });

  it('GPU ids of the worker host: the cluster assigns GPUs', async () => {
    await assert.rejects(executor.check({ gpus: ['0'] }), /HOLDOUT_WORKER_GPUS=none/);
  });

  it("GPUs: the configured count of the cluster's, as slots; a run needing more is refused", async () => {
    assert.deepEqual(executor.clusterGpus, []);
    const withGpus = new KubernetesExecutor({ namespace: 'holdout-runs', dataVolume: { kind: 'pvc', claimName: 'data' }, dataRoot: '/var/lib/holdout/cache/bundles', gpus: 2 });
    assert.deepEqual(withGpus.clusterGpus, ['nvidia.com/gpu#0', 'nvidia.com/gpu#1']);
    await assert.rejects(withGpus.check({ gpus: ['nvidia.com/gpu#0', '1'] }), /not the worker host's \(1\)/);
    await assert.rejects(withGpus.run(spec({ limits: { ...limits, gpus: 3 } })), /needs 3 GPU\(s\) but this worker may request 2/);
    assert.throws(() => new KubernetesExecutor({ namespace: 'n', dataVolume: { kind: 'pvc', claimName: 'data' }, dataRoot: '/d', gpus: 1.5 }), /whole number/);
  });

  it('the sweep: policies of gone Jobs, older than an hour, and no other', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    const policy = (name: string, created: string) => ({ metadata: { name, creationTimestamp: new Date(created) } });
    const policies = [policy('holdout-a', '2026-12-02T09:00:00Z'), policy('holdout-b', '2026-12-02T09:00:00Z'), policy('holdout-c', '2026-12-02T11:59:00Z')];
    assert.deepEqual(stalePolicies(policies, [{ metadata: { name: 'holdout-b' } }], now), ['holdout-a']);
  });
});
