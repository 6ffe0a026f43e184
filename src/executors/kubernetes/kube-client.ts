import { PassThrough, type Readable, type Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { apiStatus } from './api-status.js';
import type { WatchSource } from './resilient-watch.js';

/**
 * The dozen API calls the executor makes, over @kubernetes/client-node (imported only in this
 * folder). RBAC the worker's service account needs, in its run namespace only: jobs (create,
 * get, delete), pods (watch), pods/log (get), pods/attach (create, get), networkpolicies
 * (create, delete); and list on jobs, pods and networkpolicies (`probe`, the sweep).
 * deploy/kubernetes/role.yaml grants exactly these; its test reads this file's calls.
 */
export class KubeClient {
  readonly #config: k8s.KubeConfig;
  readonly #batch: k8s.BatchV1Api;
  readonly #core: k8s.CoreV1Api;
  readonly #net: k8s.NetworkingV1Api;

  /** @param kubeconfig a kubeconfig file; undefined: KUBECONFIG, ~/.kube/config, else the pod's service account (in-cluster). */
  constructor(readonly namespace: string, kubeconfig?: string) {
    this.#config = new k8s.KubeConfig();
    if (kubeconfig) this.#config.loadFromFile(kubeconfig);
    else this.#config.loadFromDefault();
    this.#batch = this.#config.makeApiClient(k8s.BatchV1Api);
    this.#core = this.#config.makeApiClient(k8s.CoreV1Api);
    this.#net = this.#config.makeApiClient(k8s.NetworkingV1Api);
  }

  /** The API server this client talks to, for messages. */
  get server(): string {
    return this.#config.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
  }

  createJob(job: k8s.V1Job): Promise<k8s.V1Job> {
    return this.#batch.createNamespacedJob({ namespace: this.namespace, body: job });
  }

  /** The Job, or undefined when there is none. */
  async readJob(name: string): Promise<k8s.V1Job | undefined> {
    return this.#batch.readNamespacedJob({ name, namespace: this.namespace }).catch(notFound(undefined));
  }

  /** Deletes the Job and, in the background, its pods; a missing Job is not an error. */
  async deleteJob(name: string): Promise<void> {
    await this.#batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy: 'Background', gracePeriodSeconds: 0 }).catch(notFound(undefined));
  }

  createNetworkPolicy(policy: k8s.V1NetworkPolicy): Promise<k8s.V1NetworkPolicy> {
    return this.#net.createNamespacedNetworkPolicy({ namespace: this.namespace, body: policy });
  }

  async deleteNetworkPolicy(name: string): Promise<void> {
    await this.#net.deleteNamespacedNetworkPolicy({ name, namespace: this.namespace }).catch(notFound(undefined));
  }

  /** Holdout's NetworkPolicies and Jobs in the namespace (label `managedBy`), for the sweep. */
  async listOwn(labelSelector: string): Promise<{ policies: k8s.V1NetworkPolicy[]; jobs: k8s.V1Job[] }> {
    const [policies, jobs] = await Promise.all([
      this.#net.listNamespacedNetworkPolicy({ namespace: this.namespace, labelSelector }),
      this.#batch.listNamespacedJob({ namespace: this.namespace, labelSelector }),
    ]);
    return { policies: policies.items, jobs: jobs.items };
  }

  /** Checks that the namespace can be read with these credentials: one list of each kind. */
  async probe(): Promise<void> {
    await this.#batch.listNamespacedJob({ namespace: this.namespace, limit: 1 });
    await this.#core.listNamespacedPod({ namespace: this.namespace, limit: 1 });
    await this.#net.listNamespacedNetworkPolicy({ namespace: this.namespace, limit: 1 });
  }

  /** List+watch of the pods with these labels (see `resilientWatch`). */
  pods(labelSelector: string): WatchSource<k8s.V1Pod> {
    const watch = new k8s.Watch(this.#config);
    const path = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`;
    return {
      list: async () => {
        const list = await this.#core.listNamespacedPod({ namespace: this.namespace, labelSelector });
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '0' };
      },
      watch: (resourceVersion, onEvent, signal) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) return resolve();
          const query = { labelSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 240 };
          watch
            .watch(path, query, (type, object) => onEvent(type, object), (err: unknown) => (err && !signal.aborted ? reject(err) : resolve()))
            .then((controller) => signal.addEventListener('abort', () => controller.abort(), { once: true }), reject);
        }),
    };
  }

  /**
   * Up to `limitBytes` of a container's log, as bytes (the typed API would decode them as text).
   * @remarks The kubelet keeps only its current log file (containerLogMaxSize, 10 MiB by default).
   */
  async log(pod: string, container: string, limitBytes: number): Promise<Buffer> {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve, reject) => sink.on('end', resolve).on('error', reject));
    const request = await new k8s.Log(this.#config).log(this.namespace, pod, container, sink, { limitBytes, follow: false });
    // The client pipes the response into `sink` but does not pass on a connection that breaks
    // midway: without this, a lost connection would wait forever. What arrived is kept.
    const timer = setTimeout(() => {
      request.abort();
      sink.end();
    }, 120_000);
    try {
      await ended;
    } finally {
      clearTimeout(timer);
    }
    return Buffer.concat(chunks);
  }

  /**
   * Attaches to a container's stdin (and stdout, when given); resolves when the server closes the
   * connection, i.e. when the container's process ended, and rejects after `timeoutMs`.
   */
  async attach(pod: string, container: string, stdin: Readable, stdout: Writable | undefined, timeoutMs: number): Promise<void> {
    const ws = await new k8s.Attach(this.#config).attach(this.namespace, pod, container, stdout ?? null, null, stdin, false);
    await new Promise<void>((resolve, reject) => {
      // A connection that goes silent (a node gone, a proxy that holds it) must not hold the run.
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`the attach to ${pod}/${container} took longer than ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      ws.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.on('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }
}

/** A catch handler that turns 404 into `value` and rethrows anything else. */
function notFound<T>(value: T): (err: unknown) => T {
  return (err) => {
    if (apiStatus(err) === 404) return value;
    throw err;
  };
}
