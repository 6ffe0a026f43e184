import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Namespace, PersistentVolume, PersistentVolumeClaim, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { describeConfig, loadConfig } from '../../src/app/config.js';
import { defaultLayout } from '../../src/domain/limits.js';
import { parseDataVolume } from '../../src/executors/kubernetes/data-volume.js';
import { buildJob } from '../../src/executors/kubernetes/manifests.js';

// deploy/kubernetes/ is what a host applies: every object is checked against the official
// schema, the Role against what the executor's client really calls, and the Deployment's
// variables against Holdout's configuration. Only a real cluster tests that they work together
// (docs/hosting/kubernetes.md): none runs here.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const deployDir = path.join(root, 'deploy/kubernetes');
const namespace = 'holdout';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

/** The schema class of each kind the folder may hold; any other kind (a ClusterRole…) fails the test. */
const models: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/PersistentVolume': PersistentVolume,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'apps/v1/Deployment': Deployment,
};
/** Kinds that are not namespaced, and that an administrator (not the worker) applies. */
const clusterScoped = new Set(['v1/Namespace', 'v1/PersistentVolume']);

const files = readdirSync(deployDir).filter((f) => f.endsWith('.yaml'));
const objects = new Map<string, K8sObject[]>(
  files.map((f) => [
    f,
    parseAllDocuments(readFileSync(path.join(deployDir, f), 'utf8')).map((doc) => {
      if (doc.errors.length) throw new Error(`${f}: ${doc.errors.join('; ')}`);
      return doc.toJS() as K8sObject;
    }),
  ]),
);
const all = [...objects.values()].flat();
const one = <T = K8sObject>(file: string, kind: string): T => {
  const found = objects.get(file)?.find((o) => o.kind === kind);
  assert.ok(found, `${file} has no ${kind}`);
  return found as T;
};

/** The (apiGroup, resource, verb) triples a Role grants. */
function granted(role: Role): Set<string> {
  const out = new Set<string>();
  for (const rule of role.rules ?? []) {
    for (const g of rule.apiGroups ?? []) for (const r of rule.resources ?? []) for (const v of rule.verbs) out.add(`${g}/${r}:${v}`);
  }
  return out;
}

/**
 * The triples kube-client.ts needs, read from its source: every typed call
 * (`this.#batch.createNamespacedJob` → batch/jobs:create), the log, the attach and the watch.
 */
function neededByClient(): Set<string> {
  const source = readFileSync(path.join(root, 'src/executors/kubernetes/kube-client.ts'), 'utf8');
  const groups: Record<string, string> = { batch: 'batch', core: '', net: 'networking.k8s.io' };
  const resources: Record<string, string> = { Job: 'jobs', Pod: 'pods', NetworkPolicy: 'networkpolicies' };
  const verbs: Record<string, string> = { create: 'create', read: 'get', list: 'list', delete: 'delete', patch: 'patch', replace: 'update' };
  const out = new Set<string>();
  for (const [, api, verb, kind] of source.matchAll(/this\.#(\w+)\.(\w+?)Namespaced(\w+)\(/g)) {
    const group = groups[api ?? ''];
    const resource = resources[kind ?? ''];
    const v = verbs[verb ?? ''];
    assert.ok(group !== undefined && resource && v, `kube-client calls ${api}.${verb}Namespaced${kind}, which this test does not know: add it here and to role.yaml`);
    out.add(`${group}/${resource}:${v}`);
  }
  if (source.includes('new k8s.Log(')) out.add('/pods/log:get');
  // A websocket upgrade: authorized as get, and as create since Kubernetes 1.31.
  if (source.includes('new k8s.Attach(')) for (const v of ['create', 'get']) out.add(`/pods/attach:${v}`);
  if (/new k8s\.Watch\(/.test(source)) {
    assert.match(source, /namespaces\/\$\{[^}]+\}\/pods`/, 'the client watches something other than pods: add it here and to role.yaml');
    out.add('/pods:watch');
  }
  assert.ok(out.size > 5, 'no calls found in kube-client.ts: did its shape change?');
  return out;
}

/** What Pod Security "restricted" refuses (the namespace enforces it), for a pod spec. */
function restrictedProblems(spec: Record<string, unknown> & { containers: unknown[] }): string[] {
  type C = { name: string; securityContext?: { allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[]; add?: string[] }; privileged?: boolean; seccompProfile?: { type: string } } };
  const pod = spec as { securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } }; volumes?: Record<string, unknown>[]; initContainers?: C[]; containers: C[]; hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean };
  const problems: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push('host namespaces');
  const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
  for (const v of pod.volumes ?? []) if (!Object.keys(v).some((k) => allowedVolumes.includes(k))) problems.push(`volume ${String(v.name)} of a refused type`);
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const s = c.securityContext ?? {};
    if (s.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allowPrivilegeEscalation`);
    if (s.privileged) problems.push(`${c.name}: privileged`);
    if (!(s.capabilities?.drop ?? []).includes('ALL')) problems.push(`${c.name}: capabilities not dropped`);
    if ((s.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) problems.push(`${c.name}: capabilities added`);
    if (s.runAsNonRoot !== true && pod.securityContext?.runAsNonRoot !== true) problems.push(`${c.name}: may run as root`);
    if (!['RuntimeDefault', 'Localhost'].includes(s.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type ?? '')) problems.push(`${c.name}: no seccomp profile`);
  }
  return problems;
}

describe('deploy/kubernetes manifests', () => {
  it('every object passes the official schema, and the folder holds nothing cluster-wide but the namespace and a node volume', () => {
    assert.ok(all.length >= 8, `only ${all.length} objects`);
    for (const o of all) {
      const key = `${o.apiVersion}/${o.kind}`;
      const Model = models[key];
      assert.ok(Model, `${o.kind} ${o.metadata?.name}: ${key} does not belong here (RBAC stays in one namespace: no ClusterRole or ClusterRoleBinding)`);
      new Model(o as never).validate();
      if (clusterScoped.has(key)) assert.equal(o.metadata.namespace, undefined, `${o.kind} ${o.metadata.name}`);
      else assert.equal(o.metadata.namespace, namespace, `${o.kind} ${o.metadata.name} is outside ${namespace}`);
    }
    assert.equal(one('namespace.yaml', 'Namespace').metadata.name, namespace);
  });

  it('the schema check refuses a broken object (so the test above means something)', () => {
    const role = structuredClone(one('role.yaml', 'Role')) as unknown as { rules: { verbs: unknown }[] };
    (role.rules[0] as { verbs: unknown }).verbs = 'create';
    assert.throws(() => new Role(role as never).validate(), /verbs/);
  });

  it('the Role grants exactly what kube-client calls: namespaced verbs on jobs, pods, pods/log, pods/attach, networkpolicies', () => {
    const role = one<Role>('role.yaml', 'Role');
    for (const rule of role.rules ?? []) {
      assert.ok(!rule.verbs.includes('*') && !(rule.resources ?? []).includes('*') && !(rule.apiGroups ?? []).includes('*'), 'no wildcards');
      assert.equal(rule.resourceNames, undefined);
      assert.equal(rule.nonResourceURLs, undefined, 'non-resource URLs are cluster-wide');
    }
    const has = granted(role);
    const needs = neededByClient();
    assert.deepEqual([...needs].filter((n) => !has.has(n)).sort(), [], 'the client calls what the Role does not grant');
    assert.deepEqual([...has].filter((h) => !needs.has(h)).sort(), [], 'the Role grants what the client never calls');
    assert.ok(![...has].some((h) => h.includes('secrets') || h.includes('roles')));
  });

  it("the RoleBinding gives that Role to the Deployment's service account, in the same namespace", () => {
    const binding = one<RoleBinding>('role-binding.yaml', 'RoleBinding');
    const role = one('role.yaml', 'Role');
    const account = one('service-account.yaml', 'ServiceAccount');
    const deployment = one<Deployment>('worker-deployment.yaml', 'Deployment');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata.name, namespace }]);
    assert.equal(deployment.spec?.template.spec?.serviceAccountName, account.metadata.name);
  });

  it("the Deployment's variables are Holdout's and make a valid kubernetes worker configuration; its data volume is the runs' claim at the cache folder", () => {
    const deployment = one<Deployment>('worker-deployment.yaml', 'Deployment');
    const pod = deployment.spec?.template.spec;
    const worker = pod?.containers[0];
    assert.ok(pod && worker);
    const known = new Set(describeConfig().split('\n').map((line) => line.slice(0, line.indexOf(':'))));
    const env: Record<string, string> = {};
    for (const e of worker.env ?? []) {
      assert.ok(known.has(e.name), `${e.name} is not a Holdout setting (node dist/cli/main.js --help lists them)`);
      env[e.name] = e.value ?? '';
    }
    assert.deepEqual(worker.envFrom, [{ secretRef: { name: 'holdout-worker' } }]);
    // What the Secret adds (the docs create it with these names).
    const config = loadConfig({ ...env, HOLDOUT_DATABASE_URL: 'postgres://holdout:x@db/holdout', HOLDOUT_BLOB_STORE: 'azure', HOLDOUT_AZURE_CONNECTION_STRING: 'AccountName=a;AccountKey=b' });
    assert.equal(config.executor, 'kubernetes');
    assert.equal(config.kubernetesNamespace, namespace);
    const volume = parseDataVolume(config.kubernetesDataVolume ?? '');
    assert.equal(volume.kind, 'pvc');
    const claim = volume.kind === 'pvc' ? volume.claimName : '';
    for (const file of ['data-volume.yaml', 'data-volume-single-node.yaml']) assert.equal(one(file, 'PersistentVolumeClaim').metadata.name, claim, file);
    // The executor names a run's data relative to <dataDir>/cache/bundles: the claim must be mounted there.
    const bundles = pod.volumes?.find((v) => v.persistentVolumeClaim?.claimName === claim);
    assert.ok(bundles);
    assert.equal(worker.volumeMounts?.find((m) => m.name === bundles.name)?.mountPath, path.join(config.dataDir, 'cache', 'bundles'));
    assert.equal(pod.automountServiceAccountToken, true, 'the executor uses the service account in-cluster');
  });

  it("a kubernetes worker offers the cluster's GPUs (HOLDOUT_KUBERNETES_GPUS), never its host's", () => {
    const base = { HOLDOUT_EXECUTOR: 'kubernetes', HOLDOUT_KUBERNETES_DATA_VOLUME: 'pvc:holdout-data' };
    assert.equal(loadConfig({ ...base, HOLDOUT_KUBERNETES_GPUS: '2' }).kubernetesGpus, 2);
    assert.throws(() => loadConfig({ ...base, HOLDOUT_WORKER_GPUS: 'all' }), /HOLDOUT_WORKER_GPUS: .*set HOLDOUT_KUBERNETES_GPUS=N/);
    assert.throws(() => loadConfig({ ...base, HOLDOUT_KUBERNETES_GPUS: '-1' }), /HOLDOUT_KUBERNETES_GPUS/);
  });

  it('the one-node volume is bound to that claim both ways, at the folder the docs fill', () => {
    const pv = one<PersistentVolume>('data-volume-single-node.yaml', 'PersistentVolume');
    const pvc = one<PersistentVolumeClaim>('data-volume-single-node.yaml', 'PersistentVolumeClaim');
    assert.deepEqual(pv.spec?.claimRef, { namespace, name: pvc.metadata?.name });
    assert.equal(pvc.spec?.volumeName, pv.metadata?.name);
    assert.equal(pvc.spec?.storageClassName, pv.spec?.storageClassName);
    assert.equal(pv.spec?.hostPath?.path, '/var/tmp/holdout/cache/bundles');
  });

  it('Pod Security "restricted", which the namespace enforces, admits the worker and every run pod (with GPUs too)', () => {
    const ns = one('namespace.yaml', 'Namespace') as K8sObject & { metadata: { labels?: Record<string, string> } };
    assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    const deployment = one<Deployment>('worker-deployment.yaml', 'Deployment');
    assert.deepEqual(restrictedProblems(deployment.spec?.template.spec as never), []);
    const limits = { wallTimeMs: 60_000, memoryBytes: 1 << 30, cpus: 1, pids: 256, outputBytes: 1 << 26, logBytes: 1 << 20, gpus: 0 };
    for (const gpus of [0, 1]) {
      const job = buildJob({
        spec: { runId: 'sub-1-1', command: ['python3', 'main.py'], layout: defaultLayout, limits: { ...limits, gpus } },
        namespace,
        image: `registry.example/holdout/python-ml@sha256:${'c'.repeat(64)}`,
        codeBytes: 10_240,
        data: { volume: parseDataVolume('pvc:holdout-data'), subPath: 'b/data' },
        uid: 65532,
        graceSeconds: 600,
        ttlSeconds: 900,
      });
      assert.deepEqual(restrictedProblems(job.spec?.template.spec as never), [], `gpus ${gpus}`);
    }
    // The check itself refuses what restricted refuses.
    assert.deepEqual(restrictedProblems({ containers: [{ name: 'x' }], volumes: [{ name: 'h', hostPath: { path: '/' } }] }), [
      'volume h of a refused type',
      'x: allowPrivilegeEscalation',
      'x: capabilities not dropped',
      'x: may run as root',
      'x: no seccomp profile',
    ]);
  });
});
