import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Executor, RunSpec } from '../executor.js';
import { runExecutorSuite } from '../executor-suite.case.js';
import { parseDataVolume } from './data-volume.js';
import { KubernetesExecutor } from './kubernetes-executor.js';

// The whole executor contract against a real cluster: opt-in, because no API server or kubelet
// runs on the test machines (README, "Executors" → Kubernetes, says how to run it on kind, k3s
// and AKS). Nothing here fakes the API server.
//
// KUBECONFIG                              the cluster (required; the test is skipped without it)
// HOLDOUT_TEST_KUBERNETES_IMAGE           a pinned image with python3, sh, head and tar (required)
// HOLDOUT_TEST_KUBERNETES_NAMESPACE       default holdout-test (must exist)
// HOLDOUT_TEST_KUBERNETES_DATA_ROOT       a folder of this host that the data volume shows the
//                                         pods (default /var/tmp/holdout-k8s-data)
// HOLDOUT_TEST_KUBERNETES_DATA_VOLUME     default hostPath:<data root> (kind: the same folder as
//                                         an extraMount of the node; k3s on this host: as is)

const image = process.env.HOLDOUT_TEST_KUBERNETES_IMAGE;
const dataRoot = process.env.HOLDOUT_TEST_KUBERNETES_DATA_ROOT ?? '/var/tmp/holdout-k8s-data';
const skip =
  process.env.KUBECONFIG === undefined
    ? 'KUBECONFIG is not set: this suite needs a real cluster (see the README, Executors → Kubernetes)'
    : image === undefined
      ? 'HOLDOUT_TEST_KUBERNETES_IMAGE is not set (a pinned image with python3, sh, head and tar)'
      : undefined;

/**
 * The suite writes its data to this host's scratch and runs the "host" runtime; a cluster sees
 * neither. This wrapper copies each run's data under the data root (which the volume shows the
 * pods) and names the test image, and is otherwise the executor itself.
 */
function onCluster(executor: KubernetesExecutor, pinnedImage: string): Executor {
  return {
    name: executor.name,
    check: (o) => executor.check(o),
    async run(spec: RunSpec) {
      const dataDir = path.join(dataRoot, spec.runId);
      await mkdir(dataDir, { recursive: true });
      await cp(spec.dataDir, dataDir, { recursive: true });
      const runtime = spec.runtime === 'host' ? { runtime: 'test', runtimeImage: pinnedImage } : {};
      const result = await executor.run({ ...spec, ...runtime, dataDir });
      return {
        ...result,
        async dispose() {
          await result.dispose();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}

runExecutorSuite(
  'kubernetes',
  async () => {
    const executor = new KubernetesExecutor({
      namespace: process.env.HOLDOUT_TEST_KUBERNETES_NAMESPACE ?? 'holdout-test',
      dataVolume: parseDataVolume(process.env.HOLDOUT_TEST_KUBERNETES_DATA_VOLUME ?? `hostPath:${dataRoot}`),
      dataRoot,
      graceSeconds: 300,
      ttlSeconds: 300,
    });
    await executor.check();
    return onCluster(executor, image ?? '');
  },
  // The Job API reports no CPU or memory counters.
  { measuresUsage: false, ...(skip ? { skip } : {}) },
);
