import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Pod } from 'kubernetes-models/v1';
import { defaultLayout } from '../../domain/limits.js';
import { parseDataVolume } from './data-volume.js';
import { buildJob, buildNetworkPolicy, buildPodTemplate, containers, type RunManifestInput, runObjectName } from './manifests.js';

const MiB = 1024 * 1024;
const limits = { wallTimeMs: 90_500, memoryBytes: 512 * MiB, cpus: 1.5, pids: 256, outputBytes: 64 * MiB, logBytes: MiB, gpus: 0 };
const image = 'registry.example:5000/holdout/python-ml@sha256:' + 'a'.repeat(64);

function input(over: Partial<RunManifestInput> = {}): RunManifestInput {
  return {
    spec: { runId: 'sub-42-1', command: ['python', 'main.py'], layout: defaultLayout, limits, env: { HOLDOUT_SMOKE: '0' } },
    namespace: 'holdout-runs',
    image,
    codeBytes: 10240,
    data: { volume: parseDataVolume('pvc:holdout-data'), subPath: 'bundles_c1_3/data' },
    uid: 10001,
    graceSeconds: 300,
    ttlSeconds: 600,
    ...over,
  };
}

/** Validates against the official OpenAPI schema (kubernetes-models); throws with JSON-pointer messages. */
function validJob(job: ReturnType<typeof buildJob>): void {
  new Job(job as ConstructorParameters<typeof Job>[0]).validate();
}

describe('kubernetes manifests', () => {
  it('a Job that the official schema accepts, for every data volume kind and with GPUs', () => {
    for (const volume of ['pvc:holdout-data', 'hostPath:/var/cache/holdout/bundles', 'csi:blob.csi.azure.com:containerName=holdout-data,storageAccount=acct']) {
      validJob(buildJob(input({ data: { volume: parseDataVolume(volume), subPath: 'b/data' } })));
    }
    validJob(buildJob(input({ spec: { ...input().spec, limits: { ...limits, gpus: 2, cpus: 0 } } })));
  });

  it('the schema check itself refuses a broken Job (so the test above means something)', () => {
    const job = buildJob(input());
    const broken = { ...job, spec: { ...job.spec, backoffLimit: 'none' } };
    assert.throws(() => new Job(broken as unknown as ConstructorParameters<typeof Job>[0]).validate(), /backoffLimit/);
  });

  it('the Job: never retried, deadline = wall + grace, removed after its TTL', () => {
    const job = buildJob(input());
    assert.equal(job.spec?.backoffLimit, 0);
    assert.equal(job.spec?.activeDeadlineSeconds, 91 + 300);
    assert.equal(job.spec?.ttlSecondsAfterFinished, 600);
    assert.equal(job.spec?.template.spec?.restartPolicy, 'Never');
  });

  it('the pod: non-root, no token, no service links, seccomp, every container locked down', () => {
    const pod = buildPodTemplate(input()).spec;
    assert.ok(pod);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.enableServiceLinks, false);
    assert.equal(pod.hostNetwork, false);
    assert.deepEqual(pod.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.runAsUser, 10001);
    const all = [...(pod.initContainers ?? []), ...pod.containers];
    assert.deepEqual(all.map((c) => c.name), [containers.code, containers.run, containers.collect]);
    for (const c of all) {
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, c.name);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], c.name);
      assert.equal(c.securityContext?.runAsNonRoot, true, c.name);
      assert.deepEqual(c.resources?.limits?.memory, String(512 * MiB), c.name);
      assert.deepEqual(c.resources?.requests, { memory: String(512 * MiB), cpu: '1500m' }, c.name);
    }
    assert.throws(() => buildPodTemplate(input({ uid: 0 })), /non-root/);
  });

  it('the run: pinned image, the command under a status shell, data read-only, scratch on memory', () => {
    const pod = buildPodTemplate(input()).spec;
    const run = pod?.initContainers?.find((c) => c.name === containers.run);
    assert.ok(pod && run);
    assert.equal(run.image, image);
    assert.deepEqual(run.command?.slice(-2), ['python', 'main.py']);
    assert.equal(run.workingDir, defaultLayout.code);
    assert.deepEqual(run.volumeMounts?.find((m) => m.mountPath === defaultLayout.data), { name: 'data', mountPath: defaultLayout.data, subPath: 'bundles_c1_3/data', readOnly: true });
    assert.deepEqual(new Set(run.env?.map((e) => e.name)), new Set(['PATH', 'HOME', 'LANG', 'HOLDOUT_SMOKE']));
    const dirs = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
    assert.deepEqual(dirs.code?.emptyDir, { medium: 'Memory', sizeLimit: String(64 * MiB) });
    assert.deepEqual(dirs.output?.emptyDir, { medium: 'Memory', sizeLimit: String(64 * MiB) });
    assert.deepEqual(dirs.tmp?.emptyDir, { medium: 'Memory', sizeLimit: String(512 * MiB) });
    assert.deepEqual(dirs.data?.persistentVolumeClaim, { claimName: 'holdout-data', readOnly: true });
    const collect = pod.containers[0];
    assert.equal(collect?.volumeMounts?.every((m) => m.readOnly), true);
  });

  it('GPUs: nvidia.com/gpu on the run container only', () => {
    const pod = buildPodTemplate(input({ spec: { ...input().spec, limits: { ...limits, gpus: 2 } } })).spec;
    const gpus = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].map((c) => c.resources?.limits?.['nvidia.com/gpu']);
    assert.deepEqual(gpus, [undefined, '2', undefined]);
    assert.deepEqual(pod?.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.equal(pod?.runtimeClassName, undefined);
    const withClass = buildJob(input({ spec: { ...input().spec, limits: { ...limits, gpus: 1 } }, gpuRuntimeClass: 'nvidia' }));
    validJob(withClass);
    assert.equal(withClass.spec?.template.spec?.runtimeClassName, 'nvidia');
    // Without GPUs: no toleration (GPU nodes stay free for GPU runs), no runtime class.
    const plain = buildPodTemplate(input({ gpuRuntimeClass: 'nvidia' })).spec;
    assert.equal(plain?.tolerations, undefined);
    assert.equal(plain?.runtimeClassName, undefined);
  });

  it('the NetworkPolicy selects exactly the run pod and denies both ways', () => {
    const policy = buildNetworkPolicy('sub-42-1', 'holdout-runs');
    new NetworkPolicy(policy as ConstructorParameters<typeof NetworkPolicy>[0]).validate();
    const podLabels = buildPodTemplate(input()).metadata?.labels ?? {};
    for (const [k, v] of Object.entries(policy.spec?.podSelector?.matchLabels ?? {})) assert.equal(podLabels[k], v);
    assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress']);
    assert.equal(policy.spec?.ingress, undefined);
    assert.equal(policy.spec?.egress, undefined);
  });

  it('the pod template played as a Pod (what the podman test runs) is a valid Pod too', () => {
    const template = buildPodTemplate(input());
    new Pod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', ...template.metadata }, spec: template.spec } as ConstructorParameters<typeof Pod>[0]).validate();
  });

  it('names: DNS labels of at most 52 characters, distinct for run ids that read alike', () => {
    assert.equal(runObjectName('sub-42-1'), 'holdout-sub-42-1');
    const long = runObjectName('0f0e2d9c-1a2b-4c3d-8e9f-0123456789ab-12');
    assert.ok(long.length <= 52 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(long), long);
    assert.notEqual(runObjectName('A_b'), runObjectName('a-b'));
  });

  it('data volumes: the three forms, and a clear error otherwise', () => {
    assert.deepEqual(parseDataVolume('hostPath:/srv/data'), { kind: 'hostPath', path: '/srv/data' });
    assert.deepEqual(parseDataVolume('csi:example.csi.io'), { kind: 'csi', driver: 'example.csi.io', volumeAttributes: {} });
    assert.throws(() => parseDataVolume('nfs:server:/x'), /expected pvc:CLAIM/);
    assert.throws(() => parseDataVolume('hostPath:relative'), /expected/);
  });
});
