/**
 * The executors side by side: sandbox vs docker (podman's Docker API service) vs slurm (a job of
 * a one-node cluster, the sandbox inside it) for a trivial submission, in the "host" runtime and
 * in a small runtime image, and the time the sandbox needs to prepare an image the first time
 * (unpacking it into its image cache).
 *
 *   npm run bench:executors [-- --runs 30]      (starts podman's API service, and a Slurm cluster
 *                                               where Slurm is installed, for the run)
 *
 * With KUBECONFIG set, kubernetes rows too: the same submission as a Job on that cluster, in
 * HOLDOUT_TEST_KUBERNETES_IMAGE (pinned, with python3, sh, head and tar) and with the variables of
 * src/executors/kubernetes/kubernetes-executor.test.ts (namespace, data root, data volume).
 *
 * Start-to-exit: from executor.run() to the result, plus dispose(). Overhead: that minus the
 * median time of the same program run bare on the host. Runs alternate between the executors,
 * so that the machine's noise falls on both alike.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultLayout } from '../../src/domain/limits.js';
import { createExecutor } from '../../src/executors/create-executor.js';
import { parseDataVolume } from '../../src/executors/kubernetes/data-volume.js';
import type { Executor } from '../../src/executors/executor.js';
import { slurmSkip, testSlurmOptions } from '../../src/executors/slurm/test-cluster.case.js';
import { ImageCache } from '../../src/runtimes/image-cache.js';
import { Podman } from '../../src/runtimes/podman.js';
import { demoBundle } from '../../test/helpers/holdout-server.js';
import { buildTinyPythonImage } from '../../test/helpers/tiny-image.js';
import { stats } from '../submission-timings.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' }, prepares: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const dockerHost = process.env.HOLDOUT_TEST_DOCKER_HOST ?? process.env.HOLDOUT_DOCKER_HOST;
if (!dockerHost) throw new Error('set HOLDOUT_DOCKER_HOST, or run through scripts/with-podman.sh (npm run bench:executors does)');

// Reads the ids and predicts one class: the least a real submission does.
const trivialMain = `import csv, os
with open("/code_execution/data/test_features.csv") as f, open("/code_execution/submission/submission.csv", "w") as g:
    r = csv.reader(f); next(r); g.write("id,label\\n")
    for row in r: g.write(row[0] + ",0\\n")
`;
const work = await mkdtemp(path.join(tmpdir(), 'holdout-bench-executors-'));
const codeDir = path.join(work, 'code');
await mkdir(codeDir);
await writeFile(path.join(codeDir, 'main.py'), trivialMain);
const dataDir = path.join(demoBundle, 'test', 'features');

const bare: number[] = [];
const bareOut = path.join(work, 'bare-out');
await mkdir(bareOut);
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const r = spawnSync('/usr/bin/python3', ['-c', trivialMain.replaceAll('/code_execution/data', dataDir).replaceAll('/code_execution/submission', bareOut)], { env: { PATH: '/usr/bin:/bin' } });
  bare.push(performance.now() - t);
  if (r.status !== 0) throw new Error(`bare run failed: ${r.stderr.toString()}`);
}
const bareMedian = stats(bare).median;

const podman = new Podman();
const image = await buildTinyPythonImage(podman, 'localhost/holdout-bench/tiny:latest', 'bench');
const runtimesDir = path.join(work, 'runtimes');
const executors: Record<string, Executor> = {
  sandbox: createExecutor({ kind: 'sandbox', runtimesDir }),
  docker: createExecutor({ kind: 'docker', dockerHost }),
  // The node's sandbox finds the image in the same runtimes folder: the node is this host.
  ...(slurmSkip ? {} : { slurm: createExecutor({ kind: 'slurm', ...testSlurmOptions(path.join(work, 'slurm')), sandbox: { runtimesDir } }) }),
};
type Runtime = { runtime: string; runtimeDigest?: string; runtimeImage?: string };
const runtimes: Record<string, Runtime> = { host: { runtime: 'host' }, image: { runtime: 'tiny', runtimeDigest: image } };
/** Which runtimes each executor runs: a cluster cannot use this host's python or podman's storage. */
const combos: Record<string, Record<string, Runtime>> = { sandbox: runtimes, docker: runtimes };
let runData = (_executor: string) => dataDir;
if (process.env.KUBECONFIG) {
  const clusterImage = process.env.HOLDOUT_TEST_KUBERNETES_IMAGE;
  if (!clusterImage) throw new Error('KUBECONFIG is set: set HOLDOUT_TEST_KUBERNETES_IMAGE too (a pinned image with python3, sh, head and tar), or unset KUBECONFIG');
  // The pods read the data from the volume that mirrors this folder (as in the executor's test).
  const dataRoot = process.env.HOLDOUT_TEST_KUBERNETES_DATA_ROOT ?? '/var/tmp/holdout-k8s-data';
  const clusterData = path.join(dataRoot, `bench-${process.pid}`);
  await mkdir(clusterData, { recursive: true });
  await cp(dataDir, clusterData, { recursive: true });
  executors.kubernetes = createExecutor({
    kind: 'kubernetes',
    namespace: process.env.HOLDOUT_TEST_KUBERNETES_NAMESPACE ?? 'holdout-test',
    dataVolume: parseDataVolume(process.env.HOLDOUT_TEST_KUBERNETES_DATA_VOLUME ?? `hostPath:${dataRoot}`),
    dataRoot,
    graceSeconds: 300,
    ttlSeconds: 300,
  });
  combos.kubernetes = { image: { runtime: 'bench', runtimeImage: clusterImage } };
  runData = (executor) => (executor === 'kubernetes' ? clusterData : dataDir);
  process.on('exit', () => spawnSync('/bin/rm', ['-rf', clusterData]));
}
for (const e of Object.values(executors)) await e.check();

const samples = new Map<string, number[]>();
let n = 0;
async function once(executor: Executor, runtime: Runtime): Promise<number> {
  const dir = path.join(work, `run-${n++}`);
  await mkdir(dir);
  const t = performance.now();
  const result = await executor.run({
    runId: `bench-${n}`,
    ...runtime,
    command: ['python3', 'main.py'],
    codeDir,
    dataDir: runData(executor.name),
    layout: defaultLayout,
    limits: { wallTimeMs: 60_000, memoryBytes: 512 << 20, cpus: 1, pids: 64, outputBytes: 16 << 20, logBytes: 1 << 20, gpus: 0 },
    logPath: path.join(dir, 'log.txt'),
  });
  await result.dispose();
  const ms = performance.now() - t;
  if (result.outcome !== 'exited' || result.exitCode !== 0) throw new Error(`${executor.name} run ended ${result.outcome} ${result.exitCode}`);
  await rm(dir, { recursive: true, force: true });
  return ms;
}

// One warm-up each (the sandbox unpacks the image there; docker imports its host skeleton).
for (const [name, e] of Object.entries(executors)) for (const r of Object.values(combos[name] ?? {})) await once(e, r);
for (let i = 0; i < runs; i++) {
  for (const [name, e] of Object.entries(executors)) {
    for (const [rname, r] of Object.entries(combos[name] ?? {})) {
      const key = `${name} ${rname}`;
      samples.set(key, [...(samples.get(key) ?? []), await once(e, r)]);
    }
  }
}

// The sandbox's first use of an image: unpacking it into an empty cache.
const prepares: number[] = [];
for (let i = 0; i < Number(values.prepares); i++) {
  const cacheDir = path.join(work, `cache-${i}`);
  const t = performance.now();
  await new ImageCache(cacheDir, podman).rootfs(image);
  prepares.push(performance.now() - t);
  await rm(cacheDir, { recursive: true, force: true });
}
await rm(work, { recursive: true, force: true });

const f = (x: number) => x.toFixed(1).padStart(9);
console.log(`\nExecutors, ${runs} trivial runs each, alternating (ms); bare python3 on the host: median ${bareMedian.toFixed(1)}\n`);
console.log(`${'executor, runtime'.padEnd(22)}${'start-to-exit'.padStart(15)}${'p95'.padStart(9)}${'overhead'.padStart(11)}${'p95'.padStart(9)}`);
for (const [key, xs] of samples) {
  const s = stats(xs);
  const o = stats(xs.map((x) => x - bareMedian));
  console.log(`${key.padEnd(22)}${f(s.median).padStart(15)}${f(s.p95)}${f(o.median).padStart(11)}${f(o.p95)}`);
}
const p = stats(prepares);
if (slurmSkip) console.log(`\nslurm: not run (${slurmSkip})`);
console.log(`\nsandbox: first use of the ${image.slice(7, 19)} image (unpack into the cache), ${prepares.length} times: median ${p.median.toFixed(0)} ms, min ${p.min.toFixed(0)} ms`);
if (executors.kubernetes) console.log('kubernetes: its overhead is against python3 on this host; the pod runs on a node of the cluster.');
