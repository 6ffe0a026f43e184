import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import type { V1Job, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { measuredUsage } from '../host/measured-usage.js';
import { type Executor, type RunResult, type RunSpec, UnrunnableError } from '../executor.js';
import type { DataVolume } from './data-volume.js';
import { apiStatus } from './api-status.js';
import type { KubeClient } from './kube-client.js';
import { buildJob, buildNetworkPolicy, containers, labels, managedByValue, runObjectName } from './manifests.js';
import { ClusterRunError, decidePodOutcome, stuckPodProblem } from './pod-outcome.js';
import { resilientWatch } from './resilient-watch.js';
import { unpackOutputs } from './unpack-outputs.js';

const run = promisify(execFile);

export interface KubernetesExecutorOptions {
  /** Namespace of the runs' Jobs, pods and NetworkPolicies (the worker's RBAC is limited to it). */
  namespace: string;
  /** A kubeconfig file; undefined: KUBECONFIG, ~/.kube/config, else in-cluster. */
  kubeconfig?: string;
  /** The volume holding the test features, a mirror of the worker's bundle cache (`dataRoot`). */
  dataVolume: DataVolume;
  /** The worker's folder that `dataVolume` mirrors: a run's dataDir, relative to it, is its subPath. */
  dataRoot: string;
  /** Non-root uid of the runs. @defaultValue 65532 */
  uid?: number;
  /** Seconds past the wall limit for scheduling, pull and transfers. @defaultValue 600 */
  graceSeconds?: number;
  /** Seconds a finished Job stays. @defaultValue 900 */
  ttlSeconds?: number;
  /** Image of the code and collect containers; default the runtime image (needs sh, head, tar). */
  helperImage?: string;
  /** Host scratch for the code tar and the outputs. @defaultValue <tmpdir>/holdout-kubernetes */
  workspaceRoot?: string;
  /** `nvidia.com/gpu` this worker's runs may request at once, all runs together. @defaultValue 0 */
  gpus?: number;
  /** RuntimeClass of pods with GPUs (k3s with the NVIDIA toolkit: `nvidia`); default: the node's default runtime. */
  gpuRuntimeClass?: string;
}

/** The ids a worker hands out for the cluster's GPUs: slots of a count, not devices (the kubelet picks the device). */
export function clusterGpuSlots(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `nvidia.com/gpu#${i}`);
}

/** Names of the policies (older than an hour) that no Job of the same name is left for. Pure. */
export function stalePolicies(policies: readonly V1NetworkPolicy[], jobs: readonly V1Job[], now: number): string[] {
  const alive = new Set(jobs.map((j) => j.metadata?.name));
  return policies
    .filter((p) => p.metadata?.name && !alive.has(p.metadata.name))
    .filter((p) => now - new Date(p.metadata?.creationTimestamp ?? now).getTime() > 3600_000)
    .map((p) => p.metadata?.name ?? '');
}

const pinned = /^[a-z0-9][a-z0-9._:/-]*@sha256:[0-9a-f]{64}$/;

/** The state of a `run` or `code` container in a pod's status. */
function stateOf(pod: V1Pod | undefined, name: string) {
  return [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].find((c) => c.name === name)?.state;
}

/**
 * Runs each submission as a Kubernetes Job in `namespace` (see manifests.ts for the pod and for
 * how code, outputs and log travel: all through the API server, none through the pod's network).
 * The queue stays the scheduler: the cluster never retries (backoffLimit 0), and a run the
 * cluster loses is a ClusterRunError, which the worker retries like any platform failure.
 */
export class KubernetesExecutor implements Executor {
  readonly name = 'kubernetes';
  readonly cannotRunHarness = "the kubernetes executor does not run a host's harness (its pods mount the layout's folders only); run this competition's workers with the sandbox, docker or slurm executor";
  /** Loaded on first use: @kubernetes/client-node takes a second to import, which no other executor's process should pay. */
  #client: Promise<KubeClient> | undefined;
  readonly #options: Required<Omit<KubernetesExecutorOptions, 'kubeconfig' | 'helperImage' | 'gpuRuntimeClass'>> & Pick<KubernetesExecutorOptions, 'kubeconfig' | 'helperImage' | 'gpuRuntimeClass'>;
  readonly clusterGpus: readonly string[];

  constructor(options: KubernetesExecutorOptions) {
    this.#options = {
      uid: 65532,
      graceSeconds: 600,
      ttlSeconds: 900,
      workspaceRoot: path.join(tmpdir(), 'holdout-kubernetes'),
      gpus: 0,
      ...options,
    };
    if (!Number.isSafeInteger(this.#options.gpus) || this.#options.gpus < 0) throw new Error(`the kubernetes executor's GPU count must be a whole number ≥ 0, got ${this.#options.gpus}`);
    this.clusterGpus = clusterGpuSlots(this.#options.gpus);
  }

  #kube(): Promise<KubeClient> {
    this.#client ??= import('./kube-client.js').then((m) => new m.KubeClient(this.#options.namespace, this.#options.kubeconfig));
    return this.#client;
  }

  async check(options: { gpus?: readonly string[] } = {}): Promise<void> {
    // GPUs are the cluster's (nvidia.com/gpu); a worker host's own GPU ids mean nothing here.
    const foreign = (options.gpus ?? []).filter((id) => !this.clusterGpus.includes(id));
    if (foreign.length) throw new Error(`the kubernetes executor takes GPUs from the cluster (nvidia.com/gpu), not the worker host's (${foreign.join(', ')}): set HOLDOUT_WORKER_GPUS=none and HOLDOUT_KUBERNETES_GPUS=N, the GPUs its runs may request at once`);
    const client = await this.#kube();
    try {
      await client.probe();
    } catch (err) {
      const status = apiStatus(err);
      const why = status === 401 || status === 403 ? `credentials refused (${status}): give the worker's account the Role of deploy/kubernetes/role.yaml (jobs, pods, pods/log, pods/attach, networkpolicies)` : err instanceof Error ? err.message : String(err);
      throw new Error(`the kubernetes executor cannot use namespace "${this.#options.namespace}" at ${client.server}: ${why}`);
    }
    await this.sweep();
  }

  /**
   * Deletes the NetworkPolicies of runs whose Job is gone: the Job's TTL removes it and its pod,
   * but not the policy, which a worker that died before `dispose` leaves. Only policies older than
   * an hour: a live worker creates its policy a moment before its Job.
   * @returns the names deleted
   */
  async sweep(now = Date.now()): Promise<string[]> {
    const client = await this.#kube();
    const { policies, jobs } = await client.listOwn(`${labels.managedBy}=${managedByValue}`);
    const stale = stalePolicies(policies, jobs, now);
    for (const name of stale) await client.deleteNetworkPolicy(name);
    return stale;
  }

  async run(spec: RunSpec): Promise<RunResult> {
    // No retry could help: another attempt on this executor fails alike.
    if (spec.harnessDir !== undefined) throw new UnrunnableError(this.cannotRunHarness);
    const image = spec.runtimeImage;
    if (spec.runtime === 'host' || image === undefined) throw new Error(`runtime "${spec.runtime}": the kubernetes executor runs runtime images only; record the competition's image (runtime: { image: …@sha256:… })`);
    if (!pinned.test(image)) throw new Error(`runtime image ${image} is not pinned by digest (…@sha256:<manifest digest>): a cluster would pull whatever the tag points at`);
    if (spec.limits.gpus > this.clusterGpus.length) throw new Error(`the run needs ${spec.limits.gpus} GPU(s) but this worker may request ${this.clusterGpus.length} from the cluster (HOLDOUT_KUBERNETES_GPUS)`);
    const subPath = path.relative(this.#options.dataRoot, spec.dataDir);
    if (subPath === '' || subPath.startsWith('..') || path.isAbsolute(subPath)) throw new Error(`the run's data ${spec.dataDir} is not under the data root ${this.#options.dataRoot} that the cluster's data volume mirrors`);

    const name = runObjectName(spec.runId);
    const client = await this.#kube();
    await mkdir(this.#options.workspaceRoot, { recursive: true, mode: 0o700 });
    const work = await mkdtemp(path.join(this.#options.workspaceRoot, `${name}-`));
    const outputDir = path.join(work, 'output');
    await mkdir(outputDir);
    let disposed = false;
    const dispose = async () => {
      if (disposed) return;
      // Marked done only once everything is gone: a failed delete can be retried by calling again.
      await Promise.all([client.deleteJob(name), client.deleteNetworkPolicy(name)]);
      await rm(work, { recursive: true, force: true });
      disposed = true;
    };
    try {
      const codeTar = path.join(work, 'code.tar');
      await run('/usr/bin/tar', ['-c', '-f', codeTar, '-C', spec.codeDir, '.']);
      const codeBytes = (await stat(codeTar)).size;
      const job = buildJob({
        spec,
        namespace: this.#options.namespace,
        image,
        ...(this.#options.helperImage ? { helperImage: this.#options.helperImage } : {}),
        codeBytes,
        data: { volume: this.#options.dataVolume, subPath },
        uid: this.#options.uid,
        graceSeconds: this.#options.graceSeconds,
        ttlSeconds: this.#options.ttlSeconds,
        ...(this.#options.gpuRuntimeClass ? { gpuRuntimeClass: this.#options.gpuRuntimeClass } : {}),
      });
      // The policy first: a pod must never run before its deny-all exists.
      await client.createNetworkPolicy(buildNetworkPolicy(spec.runId, this.#options.namespace)).catch((err: unknown) => {
        throw new ClusterRunError(`the cluster refused the run's NetworkPolicy (${apiStatus(err) ?? 'no status'}): ${err instanceof Error ? err.message : String(err)}`);
      });
      await client.createJob(job).catch((err: unknown) => {
        throw new ClusterRunError(`the cluster refused the run's Job (${apiStatus(err) ?? 'no status'}): ${err instanceof Error ? err.message : String(err)}`);
      });
      const result = await this.#follow(client, spec, name, codeTar, outputDir);
      return { ...result, outputDir, dispose };
    } catch (err) {
      await dispose().catch(() => undefined);
      throw err;
    }
  }

  /** Watches the run's pod to its end, feeding it the code and reading back its outputs and log. */
  async #follow(client: KubeClient, spec: RunSpec, name: string, codeTar: string, outputDir: string): Promise<Omit<RunResult, 'outputDir' | 'dispose'>> {
    const stop = new AbortController();
    let pod: V1Pod | undefined;
    let podGone = false;
    let codeSent = false;
    let runStarted: number | undefined;
    let runEnded: number | undefined;
    let timedOut = false;
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;
    let settle!: (value: 'done' | Error) => void;
    const settled = new Promise<'done' | Error>((resolve) => (settle = resolve));
    const onAbort = () => {
      cancelled = true;
      settle('done');
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    if (spec.signal?.aborted) onAbort();

    const step = () => {
      const problem = stuckPodProblem(pod?.status);
      if (problem) return settle(new ClusterRunError(problem));
      if (!codeSent && stateOf(pod, containers.code)?.running && pod?.metadata?.name) {
        codeSent = true;
        client.attach(pod.metadata.name, containers.code, createReadStream(codeTar), undefined, this.#options.graceSeconds * 1000).catch((err: unknown) => settle(new ClusterRunError(`sending the code to the pod failed: ${String(err)}`)));
      }
      const runState = stateOf(pod, containers.run);
      if (runStarted === undefined && (runState?.running || runState?.terminated)) {
        runStarted = Date.now();
        timer = setTimeout(() => {
          timedOut = true;
          settle('done');
        }, spec.limits.wallTimeMs);
      }
      if (runState?.terminated) {
        runEnded ??= Date.now();
        settle('done');
      }
      const phase = pod?.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') settle('done');
    };

    const watching = resilientWatch(
      client.pods(`${labels.run}=${name}`),
      (u) => {
        // A deleted pod keeps its last status: it tells whether the run had started.
        const next = u.type === 'LIST' ? u.items[0] : u.object;
        if (next) pod = next;
        if (u.type === 'DELETED' || (u.type === 'LIST' && next === undefined && pod !== undefined)) {
          podGone = true;
          settle('done');
        }
        step();
      },
      stop.signal,
    ).catch((err: unknown) => settle(new ClusterRunError(`watching the run's pod failed: ${String(err)}`)));
    // The Job's deadline is the backstop for a pod that never appears or never starts.
    const backstop = setTimeout(() => settle('done'), (Math.ceil(spec.limits.wallTimeMs / 1000) + this.#options.graceSeconds + 30) * 1000);
    try {
      const end = await settled;
      clearTimeout(timer);
      if (end instanceof Error) throw end;
      const podName = podGone ? undefined : pod?.metadata?.name;
      const logBytes = spec.limits.logBytes;
      // The log before any deletion: a Job deleted takes its pod's log with it.
      const log = podName && runStarted !== undefined ? await client.log(podName, containers.run, logBytes + 1).catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
      if (cancelled || timedOut) await client.deleteJob(name);
      const job: V1Job | undefined = cancelled || timedOut ? { status: {} } : await client.readJob(name);
      const outcome = decidePodOutcome({ cancelled, timedOut, job: job?.status, pod: podGone && runStarted === undefined ? undefined : pod?.status });
      const kept = log.subarray(0, logBytes);
      await writeFile(spec.logPath, kept);
      if (kept.length) spec.onLog?.(kept);
      if (outcome.collect && podName) await this.#collect(client, podName, outputDir, spec.limits.outputBytes);
      const started = runStarted ?? Date.now();
      const wallMs = (runEnded ?? Date.now()) - started;
      return {
        outcome: outcome.outcome,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        wallMs,
        // The Job API tells no CPU or memory counters (that takes a metrics server): only GPU time, estimated.
        usage: measuredUsage(wallMs, {}, spec.limits.gpus),
        logBytes: kept.length,
        logTruncated: log.length > logBytes,
      };
    } finally {
      clearTimeout(timer);
      clearTimeout(backstop);
      spec.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      await watching;
    }
  }

  /** Reads the output folder from `collect` (one line on its stdin starts its tar) into `outputDir`. */
  async #collect(client: KubeClient, podName: string, outputDir: string, outputBytes: number): Promise<void> {
    const { sink: stdout, done } = unpackOutputs(outputDir, outputBytes + 64 * 1024 * 1024);
    for (let attempt = 0; ; attempt++) {
      // Open until the end: with the older stream protocol, closing stdin closes the whole attach.
      const stdin = new PassThrough();
      stdin.write('\n');
      try {
        await client.attach(podName, containers.collect, stdin, stdout, this.#options.graceSeconds * 1000);
        stdin.end();
        break;
      } catch (err) {
        // 'container not running yet' right after `run` ended: retry a little.
        if (attempt >= 20 || /took longer than/.test(String(err))) {
          await done().catch(() => undefined);
          throw new ClusterRunError(`reading the outputs from the pod failed: ${String(err)}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await done();
  }
}
