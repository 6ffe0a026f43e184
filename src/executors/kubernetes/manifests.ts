import { createHash } from 'node:crypto';
import type { V1Container, V1Job, V1NetworkPolicy, V1PodTemplateSpec, V1ResourceRequirements, V1SecurityContext } from '@kubernetes/client-node';
import type { RunSpec } from '../executor.js';
import { checkLayoutPath, sandboxEnvironment } from '../host/run-environment.js';
import { type DataVolume, dataVolumeSource } from './data-volume.js';

// How a run travels, without a shared disk and without any network in the pod
// ---------------------------------------------------------------------------
// A pod cannot see the worker's folders, and a default-deny NetworkPolicy applies to every
// container of the pod: an init container that fetched the code from the blob store by a signed
// URL would need an egress exception that the participant's code (a later container of the same
// pod) would have too, and blob front ends are shared addresses, i.e. a way out for the labels'
// neighbours' data. So everything goes through the API server, and the pod has no network at all:
//   1. init container `code` reads exactly HOLDOUT_CODE_BYTES of a tar from its stdin (the worker
//      attaches to it: pods/attach) and unpacks it into the run's code folder;
//   2. init container `run` is the submission, in the runtime image, as the run's uid; a shell
//      (pid 1 of the container, which the run cannot signal) writes the entry point's status to
//      the termination message and exits 0, so that (3) runs whatever the status was. When it
//      ends, the kernel kills every process the run left behind (pid 1 of its namespace ended);
//   3. container `collect` waits for one line on its stdin, then writes a tar of the output folder
//      to its stdout, which the worker reads through the same attach and unpacks on its host.
// The log is the `run` container's log (pods/log, limitBytes). A run killed for memory or time
// never reaches (3): those outcomes need no predictions.

/** Labels every object of a run carries: `runLabel` selects one run, `managedBy` all of Holdout's. */
export const labels = { managedBy: 'app.kubernetes.io/managed-by', run: 'holdout.dev/run' } as const;
export const managedByValue = 'holdout';
/** Container names, which the executor and the outcome read back from the pod's status. */
export const containers = { code: 'code', run: 'run', collect: 'collect' } as const;
/** Where `collect` sees the run's output folder (read-only). */
const collectOutput = '/holdout/output';

/** What decides a run's Job, besides the spec. */
export interface RunManifestInput {
  spec: Pick<RunSpec, 'runId' | 'command' | 'layout' | 'limits' | 'env'>;
  namespace: string;
  /** The runtime image, pinned by digest (`registry/repo@sha256:…`). */
  image: string;
  /** Image of `code` and `collect` (needs /bin/sh, head, tar); default: the runtime image. */
  helperImage?: string;
  /** Size of the code tar the worker sends to `code`. */
  codeBytes: number;
  /** The test features: the volume, and the run's folder in it. */
  data: { volume: DataVolume; subPath: string };
  /** Non-root uid (and gid) of every container. */
  uid: number;
  /** Seconds the Job may take beyond the wall limit: scheduling, image pull, code in, outputs out. */
  graceSeconds: number;
  /** Seconds a finished Job stays for inspection before the cluster deletes it (and its pod). */
  ttlSeconds: number;
  /** RuntimeClass of a pod with GPUs (k3s with the NVIDIA toolkit: `nvidia`); unset: the node's default. */
  gpuRuntimeClass?: string;
}

/**
 * The Job's name (also the NetworkPolicy's and the run label's value): a DNS label of at most 52
 * characters (the Job controller adds a suffix for the pod), readable, and unique per run id.
 */
export function runObjectName(runId: string): string {
  const readable = runId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const name = `holdout-${readable}`;
  if (name.length <= 52 && readable === runId) return name;
  // Lossy or too long: a hash keeps two run ids that read alike apart.
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, 10);
  return `holdout-${readable.slice(0, 33).replace(/-+$/, '')}-${hash}`;
}

/** Variables container runtimes add on their own (containerd and podman: HOSTNAME; podman: container, TERM). */
const engineVars = ['HOSTNAME', 'TERM', 'container'];

/** Shell words that remove them, so the run's environment is the sandbox's (as the docker executor does). */
function unsetEngineVars(env: Readonly<Record<string, string>>): string {
  const extra = engineVars.filter((name) => !Object.hasOwn(env, name));
  return extra.length ? `unset ${extra.join(' ')}; ` : '';
}

/** Where the kubelet reads the `run` container's termination message from. */
export const terminationMessagePath = '/dev/termination-log';

/**
 * Shell words run after the entry point: its status and the OOM kills of the container's memory
 * cgroup (cgroup v2 `memory.events`, v1 `memory.oom_control`), as `exit N oom K`. Builtins only.
 * The kubelet reports `OOMKilled` only when the whole container dies of it (cgroup v2 with
 * `memory.oom.group`); on cgroup v1, or when only a child was killed, the count says it.
 */
const statusReport = [
  's=$?; o=0',
  'for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do [ -r "$f" ] && while read -r k v; do [ "$k" = oom_kill ] && o=$v; done <"$f"; done',
  `echo "exit $s oom $o" >${terminationMessagePath}`,
  'exit 0',
].join('; ');

/** Kubernetes quantities of the competition's limits: requests equal limits (Guaranteed QoS). */
function resources(limits: RunSpec['limits'], withGpus: boolean): V1ResourceRequirements {
  const quota: Record<string, string> = { memory: String(limits.memoryBytes) };
  if (limits.cpus > 0) quota.cpu = `${Math.ceil(limits.cpus * 1000)}m`;
  // Extended resources are limits only; the API server sets the request to the same number.
  const limited: Record<string, string> = { ...quota };
  if (withGpus && limits.gpus > 0) limited['nvidia.com/gpu'] = String(limits.gpus);
  return { requests: { ...quota }, limits: limited };
}

/** Every container: its uid, no capability, no privilege gain, a read-only root. */
function containerSecurity(uid: number): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
}

/**
 * The pod of a run (see the comment at the top for what each container does). Pure.
 * @remarks Not enforced by this spec, unlike the sandbox: `limits.pids` (the node's kubelet
 * `podPidsLimit` applies), and the exact wall time (the executor stops the Job when the `run`
 * container has run that long; activeDeadlineSeconds is the backstop if the worker is gone).
 */
export function buildPodTemplate(input: RunManifestInput): V1PodTemplateSpec {
  const { spec, uid } = input;
  const { layout, limits } = spec;
  for (const [kind, dest] of Object.entries(layout)) checkLayoutPath(kind, dest);
  if (!Number.isSafeInteger(uid) || uid <= 0) throw new Error(`the kubernetes executor runs as a non-root uid, got ${uid}`);
  if (spec.command.length === 0) throw new Error('a run needs a command');
  const env = Object.entries(sandboxEnvironment(spec.env)).map(([name, value]) => ({ name, value }));
  const helperImage = input.helperImage ?? input.image;
  const security = containerSecurity(uid);
  // Two volumes, not subPaths of one: podman's kube play (the template's test) ignores subPath.
  const workspace = (name: 'code' | 'output', mountPath: string, readOnly = false) => ({ name, mountPath, readOnly });
  const scratch = [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'shm', mountPath: '/dev/shm' },
  ];
  const code: V1Container = {
    name: containers.code,
    image: helperImage,
    imagePullPolicy: 'IfNotPresent',
    // `head -c`: tar ends at the archive's last byte, whether or not the attach can close stdin.
    command: ['/bin/sh', '-c', 'head -c "$HOLDOUT_CODE_BYTES" | tar -x -f - -C "$0"', layout.code],
    env: [{ name: 'PATH', value: '/usr/local/bin:/usr/bin:/bin' }, { name: 'HOLDOUT_CODE_BYTES', value: String(input.codeBytes) }],
    stdin: true,
    stdinOnce: true,
    tty: false,
    securityContext: security,
    resources: resources(limits, false),
    volumeMounts: [workspace('code', layout.code)],
  };
  const run: V1Container = {
    name: containers.run,
    image: input.image,
    imagePullPolicy: 'IfNotPresent',
    // The image's entry point (a shell wrapper, say) would change what runs: command replaces it.
    command: ['/bin/sh', '-c', `${unsetEngineVars(spec.env ?? {})}"$@"; ${statusReport}`, 'sh', ...spec.command],
    workingDir: layout.code,
    env,
    terminationMessagePath,
    terminationMessagePolicy: 'File',
    securityContext: security,
    resources: resources(limits, true),
    volumeMounts: [workspace('code', layout.code), workspace('output', layout.output), { name: 'data', mountPath: layout.data, subPath: input.data.subPath, readOnly: true }, ...scratch],
  };
  const collect: V1Container = {
    name: containers.collect,
    image: helperImage,
    imagePullPolicy: 'IfNotPresent',
    // One line from the worker first: otherwise the tar would go to the log before it attached.
    command: ['/bin/sh', '-c', 'read -r _ && exec tar -c -f - -C "$0" .', collectOutput],
    env: [{ name: 'PATH', value: '/usr/local/bin:/usr/bin:/bin' }],
    stdin: true,
    stdinOnce: true,
    tty: false,
    securityContext: security,
    resources: resources(limits, false),
    volumeMounts: [workspace('output', collectOutput, true)],
  };
  const memoryDir = (name: string, bytes: number) => ({ name, emptyDir: { medium: 'Memory', sizeLimit: String(bytes) } });
  // GPU nodes are commonly tainted nvidia.com/gpu (the GPU operator's and AKS's advice) so that
  // other pods stay off them; a run that requests GPUs tolerates that taint, and only that one.
  const gpuPlacement =
    limits.gpus > 0
      ? {
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          ...(input.gpuRuntimeClass ? { runtimeClassName: input.gpuRuntimeClass } : {}),
        }
      : {};
  return {
    metadata: { labels: { [labels.managedBy]: managedByValue, [labels.run]: runObjectName(spec.runId) } },
    spec: {
      restartPolicy: 'Never',
      initContainers: [code, run],
      containers: [collect],
      // Nothing of the cluster reaches the run: no API token, no service variables, no host namespaces.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      shareProcessNamespace: false,
      hostname: 'sandbox',
      // No resolver: the NetworkPolicy drops DNS anyway; this makes it fail at once.
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['127.0.0.1'] },
      terminationGracePeriodSeconds: 1,
      ...gpuPlacement,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        // No fsGroup: the emptyDirs are world-writable already, and on a PVC it would make the
        // kubelet chown the whole data volume at every mount.
        seccompProfile: { type: 'RuntimeDefault' },
      },
      volumes: [
        // `outputBytes` bounds each (the sandbox bounds both together); their pages also count
        // against the memory limit, which bounds the sum.
        memoryDir('code', limits.outputBytes),
        memoryDir('output', limits.outputBytes),
        // /tmp and /dev/shm pages count against the memory limit, as in the sandbox.
        memoryDir('tmp', limits.memoryBytes),
        memoryDir('shm', limits.memoryBytes),
        dataVolumeSource('data', input.data.volume),
      ],
    },
  };
}

/** The run's Job: one pod, never retried by the cluster (the queue retries), deleted after `ttlSeconds`. Pure. */
export function buildJob(input: RunManifestInput): V1Job {
  const name = runObjectName(input.spec.runId);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: input.namespace,
      labels: { [labels.managedBy]: managedByValue, [labels.run]: name },
      annotations: { 'holdout.dev/run-id': input.spec.runId },
    },
    spec: {
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      activeDeadlineSeconds: Math.ceil(input.spec.limits.wallTimeMs / 1000) + input.graceSeconds,
      ttlSecondsAfterFinished: input.ttlSeconds,
      // Our labels only: the pod selector is the Job controller's own (controller-uid).
      template: buildPodTemplate(input),
    },
  };
}

/** Denies all ingress and egress of the run's pod. Create it before the Job. Pure. */
export function buildNetworkPolicy(runId: string, namespace: string): V1NetworkPolicy {
  const name = runObjectName(runId);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: { [labels.managedBy]: managedByValue, [labels.run]: name } },
    spec: {
      podSelector: { matchLabels: { [labels.run]: name } },
      // Both types and no rule: nothing in, nothing out (DNS and the node included).
      policyTypes: ['Ingress', 'Egress'],
    },
  };
}
