import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import { CompetitionsRepo } from '../db/competitions-repo.js';
import { DeterminismChecksRepo } from '../db/determinism-checks-repo.js';
import { Notifications, type NotificationsConfig } from '../notifications/notifications.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/schema.js';
import { SubmissionsRepo } from '../db/submissions-repo.js';
import { UsersRepo } from '../db/users-repo.js';
import { WorkersRepo } from '../db/workers-repo.js';
import { createExecutor, type ExecutorConfig } from '../executors/create-executor.js';
import type { Executor } from '../executors/executor.js';
import { parseDataVolume } from '../executors/kubernetes/data-volume.js';
import type { NodeSandboxSettings } from '../executors/slurm/job-script.js';
import { discoverGpus, lockGpus, selectGpus } from '../executors/gpu-host.js';
import type { BlobStore } from '../storage/blob-store.js';
import { createBlobStore, type BlobStoreConfig } from '../storage/create-blob-store.js';
import { DataImageCache } from '../data-images/image-cache.js';
import { mountSupport } from '../data-images/mount-image.js';
import { parseDataPaths, TestFeatures } from '../data-images/test-features.js';
import { BundleCache } from '../worker/bundle-cache.js';
import { Worker, type WorkerOptions } from '../worker/worker.js';
import { hostOffer } from '../worker/worker-resources.js';
import type { Config } from './config.js';

/** Everything a Holdout process uses, built once from the configuration. */
export interface AppContext {
  config: Config;
  logger: Logger;
  db: Kysely<Database>;
  blobs: BlobStore;
  users: UsersRepo;
  competitions: CompetitionsRepo;
  submissions: SubmissionsRepo;
  /** Registered worker processes (the queue page lists them). */
  workers: WorkersRepo;
  /** Hosts' determinism checks (re-runs compared with the original). */
  checks: DeterminismChecksRepo;
  /** Run-ended events and hosts' alerts (outbox, webhooks, e-mail); the server starts sending. */
  notifications: Notifications;
  executor: Executor;
  /** The in-process worker, when config.workers > 0. */
  worker?: Worker;
  close(): Promise<void>;
}

export async function createContext(config: Config, logger: Logger = pino({ level: config.logLevel })): Promise<AppContext> {
  await mkdir(config.dataDir, { recursive: true });
  const { db, dialect } = await createDatabase(config.databaseUrl);
  let releaseGpus: () => void = () => {};
  let images: DataImageCache | undefined;
  try {
    const blobs = createBlobStore(blobStoreConfig(config));
    await blobs.check?.();
    const executor = createExecutor(executorConfig(config));
    const notifications = new Notifications(db, notificationsConfig(config), logger);
    const submissions = new SubmissionsRepo(db, dialect, notifications.onRunEnded);
    const competitions = new CompetitionsRepo(db);
    const workers = new WorkersRepo(db);
    const checks = new DeterminismChecksRepo(db);
    let worker: Worker | undefined;
    if (config.workers > 0) {
      const held = await workerGpus(config, executor);
      releaseGpus = held.release;
      const gpus = held.gpus;
      await executor.check({ gpus });
      images = await imageCache(config, blobs, logger);
      // Kubernetes and Slurm runs see neither this host's mounts nor its folders: they read their own data.
      const features = new TestFeatures(images, runsOnThisHost(config) ? parseDataPaths(config.dataPaths) : new Map());
      worker = new Worker(
        { submissions, competitions, workers, checks: { repo: checks, submission: (id) => submissions.get(id) }, blobs, executor, bundles: new BundleCache(blobs, path.join(config.dataDir, 'cache', 'bundles')), features, ...(images ? { images } : {}), logger },
        workerOptions(config, executor.name, gpus),
      );
    }
    return {
      config,
      logger,
      db,
      blobs,
      users: new UsersRepo(db),
      competitions,
      submissions,
      workers,
      checks,
      notifications,
      executor,
      ...(worker ? { worker } : {}),
      async close() {
        await worker?.stop(config.drainMs);
        await notifications.stop();
        // After the runs: a run in progress keeps its own view of a mount anyway.
        await images?.close();
        releaseGpus();
        await db.destroy();
      },
    };
  } catch (err) {
    // A store, executor or GPU that cannot be used stops the start: leave nothing open or held.
    releaseGpus();
    await db.destroy();
    throw err;
  }
}

/** How notifications are retried and alerts raised. */
function notificationsConfig(config: Config): NotificationsConfig {
  return {
    retryMs: config.notifyRetryMs,
    maxAttempts: config.notifyMaxAttempts,
    alertScanMs: config.alertScanMs,
    alerts: { queueStallMs: config.queueStallMs, lostAfterMs: config.leaseMs, lookBackMs: 4 * config.alertScanMs },
    webhookAllowPrivate: config.webhookAllowPrivate,
    ...(config.smtpUrl && config.mailFrom ? { email: { smtpUrl: config.smtpUrl, from: config.mailFrom, ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}) } } : {}),
  };
}

/**
 * The data image cache of a worker, or undefined where runs read copied files instead: when
 * HOLDOUT_DATA_IMAGES=off, for executors that run elsewhere (kubernetes reads a volume the host
 * names), and where this host cannot mount (logged once, with the reason).
 */
async function imageCache(config: Config, blobs: BlobStore, logger: Logger): Promise<DataImageCache | undefined> {
  if (config.dataImages === 'off' || !runsOnThisHost(config)) return undefined;
  const support = await mountSupport();
  if (!support.ok) {
    logger.warn({ reason: support.reason }, 'data images cannot be mounted here: runs read test features copied file by file');
    return undefined;
  }
  const images = new DataImageCache(blobs, path.join(config.dataDir, 'cache', 'images'));
  // Mounts and downloads a crashed worker left; images in use stay mounted for the next run.
  await images.prune([], Number.POSITIVE_INFINITY);
  return images;
}

/** Whether runs execute on this worker's host (sandbox, docker), where they can bind its mounts. */
function runsOnThisHost(config: Config): boolean {
  return config.executor === 'sandbox' || config.executor === 'docker';
}

/** What a worker process of this configuration does and offers (a database or an outbound-only worker). */
export function workerOptions(config: Config, executorName: string, gpus: readonly string[]): WorkerOptions {
  return {
    concurrency: config.workers,
    leaseMs: config.leaseMs,
    maxAttempts: config.maxAttempts,
    maxUnpackedBytes: config.maxUnpackedBytes,
    maxFiles: config.maxFiles,
    scratchDir: path.join(config.dataDir, 'scratch'),
    pollMs: config.pollMs,
    deadlines: { graceMs: config.deadlineGraceMs, queuedMs: config.queuedDeadlineMs },
    offer: {
      ...hostOffer([executorName]),
      ...(config.workerCpus ? { cpus: config.workerCpus } : {}),
      ...(config.workerMemoryBytes ? { memoryBytes: config.workerMemoryBytes } : {}),
      gpus,
      ...(config.workerRuntimes ? { runtimes: config.workerRuntimes } : {}),
    },
  };
}

/**
 * The GPUs a worker offers: its executor's own (a cluster's), else the host's that the
 * configuration names, locked for this process. @returns their ids and the release of the locks
 */
export async function workerGpus(config: Config, executor: Executor): Promise<{ gpus: readonly string[]; release: () => void }> {
  // An executor that brings its own GPUs (a cluster's) offers those, never this host's.
  const hostGpus = executor.clusterGpus ? [] : selectGpus(await discoverGpus({ devDir: config.gpuDevDir, driverFiles: false }), config.workerGpus);
  const release = lockGpus(hostGpus);
  return { gpus: executor.clusterGpus ?? hostGpus.map((g) => g.id), release };
}

/** The executor the configuration names, with the settings of its kind. */
export function executorConfig(config: Config): ExecutorConfig {
  if (config.executor === 'docker') return { kind: 'docker', dockerHost: config.dockerHost, gpuDevDir: config.gpuDevDir };
  if (config.executor === 'kubernetes') {
    if (!config.kubernetesDataVolume) throw new Error('HOLDOUT_KUBERNETES_DATA_VOLUME is required when HOLDOUT_EXECUTOR=kubernetes (pvc:NAME, hostPath:/DIR or csi:DRIVER[:key=value,...])');
    return {
      kind: 'kubernetes',
      namespace: config.kubernetesNamespace,
      ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
      dataVolume: parseDataVolume(config.kubernetesDataVolume),
      // Runs name their data relative to the worker's bundle cache, which the volume mirrors.
      dataRoot: path.join(config.dataDir, 'cache', 'bundles'),
      uid: config.kubernetesRunUid,
      graceSeconds: config.kubernetesGraceSeconds,
      gpus: config.kubernetesGpus,
      ...(config.kubernetesGpuRuntimeClass ? { gpuRuntimeClass: config.kubernetesGpuRuntimeClass } : {}),
    };
  }
  const sandbox = { runtimesDir: config.runtimesDir, gpuDevDir: config.gpuDevDir, ...(config.sandboxRoot ? { root: config.sandboxRoot } : {}) };
  if (config.executor === 'slurm') return slurmConfig(config, sandbox);
  return { kind: 'sandbox', ...sandbox };
}

/** The slurm executor's settings; the nodes' sandboxes get the worker's sandbox settings. */
function slurmConfig(config: Config, sandbox: NodeSandboxSettings): ExecutorConfig {
  if (!config.slurmSharedDir) throw new Error('HOLDOUT_SLURM_SHARED_DIR is required when HOLDOUT_EXECUTOR=slurm');
  return {
    kind: 'slurm',
    sharedDir: config.slurmSharedDir,
    ...(config.slurmPartition ? { partition: config.slurmPartition } : {}),
    ...(config.slurmSbatchArgs ? { extraArgs: config.slurmSbatchArgs } : {}),
    ...(config.slurmNodeCommand?.length ? { nodeCommand: config.slurmNodeCommand } : {}),
    graceSeconds: config.slurmGraceSeconds,
    memoryOverheadBytes: config.slurmMemoryOverheadBytes,
    extraCpus: config.slurmExtraCpus,
    gpus: config.slurmGpus,
    sandbox,
  };
}

/** The blob store the configuration names; loadConfig has already refused azure without a connection string. */
function blobStoreConfig(config: Config): BlobStoreConfig {
  if (config.blobStore === 'fs') return { kind: 'fs', root: config.blobDir };
  if (config.blobStore === 's3') {
    const { s3Bucket: bucket, s3Endpoint: endpoint, s3Region: region, s3ForcePathStyle: forcePathStyle, s3AccessKeyId: accessKeyId, s3SecretAccessKey: secretAccessKey } = config;
    return { kind: 's3', bucket, region, forcePathStyle, ...(endpoint ? { endpoint } : {}), ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}) };
  }
  if (!config.azureConnectionString) throw new Error('HOLDOUT_AZURE_CONNECTION_STRING is required when HOLDOUT_BLOB_STORE=azure');
  return { kind: 'azure', connectionString: config.azureConnectionString, container: config.azureContainer };
}
