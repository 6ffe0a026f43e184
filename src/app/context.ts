import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import { CompetitionsRepo } from '../db/competitions-repo.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/schema.js';
import { SubmissionsRepo } from '../db/submissions-repo.js';
import { UsersRepo } from '../db/users-repo.js';
import { WorkersRepo } from '../db/workers-repo.js';
import { createExecutor, type ExecutorConfig } from '../executors/create-executor.js';
import type { Executor } from '../executors/executor.js';
import { parseDataVolume } from '../executors/kubernetes/data-volume.js';
import { discoverGpus, lockGpus, selectGpus } from '../executors/gpu-host.js';
import type { BlobStore } from '../storage/blob-store.js';
import { createBlobStore, type BlobStoreConfig } from '../storage/create-blob-store.js';
import { DataImageCache } from '../data-images/image-cache.js';
import { mountSupport } from '../data-images/mount-image.js';
import { parseDataPaths, TestFeatures } from '../data-images/test-features.js';
import { BundleCache } from '../worker/bundle-cache.js';
import { Worker } from '../worker/worker.js';
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
    const submissions = new SubmissionsRepo(db, dialect);
    const competitions = new CompetitionsRepo(db);
    const workers = new WorkersRepo(db);
    let worker: Worker | undefined;
    if (config.workers > 0) {
      const gpus = selectGpus(await discoverGpus({ devDir: config.gpuDevDir, driverFiles: false }), config.workerGpus);
      releaseGpus = lockGpus(gpus);
      await executor.check({ gpus: gpus.map((g) => g.id) });
      images = await imageCache(config, blobs, logger);
      // Kubernetes runs see neither this host's mounts nor its folders: they read their data volume.
      const features = new TestFeatures(images, config.executor === 'kubernetes' ? new Map() : parseDataPaths(config.dataPaths));
      worker = new Worker(
        { submissions, competitions, workers, blobs, executor, bundles: new BundleCache(blobs, path.join(config.dataDir, 'cache', 'bundles')), features, ...(images ? { images } : {}), logger },
        {
          concurrency: config.workers,
          leaseMs: config.leaseMs,
          maxAttempts: config.maxAttempts,
          maxUnpackedBytes: config.maxUnpackedBytes,
          maxFiles: config.maxFiles,
          scratchDir: path.join(config.dataDir, 'scratch'),
          pollMs: config.pollMs,
          deadlines: { graceMs: config.deadlineGraceMs, queuedMs: config.queuedDeadlineMs },
          offer: {
            ...hostOffer([executor.name]),
            ...(config.workerCpus ? { cpus: config.workerCpus } : {}),
            ...(config.workerMemoryBytes ? { memoryBytes: config.workerMemoryBytes } : {}),
            gpus: gpus.map((g) => g.id),
            ...(config.workerRuntimes ? { runtimes: config.workerRuntimes } : {}),
          },
        },
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
      executor,
      ...(worker ? { worker } : {}),
      async close() {
        await worker?.stop(config.drainMs);
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

/**
 * The data image cache of a worker, or undefined where runs read copied files instead: when
 * HOLDOUT_DATA_IMAGES=off, for executors that run elsewhere (kubernetes reads a volume the host
 * names), and where this host cannot mount (logged once, with the reason).
 */
async function imageCache(config: Config, blobs: BlobStore, logger: Logger): Promise<DataImageCache | undefined> {
  if (config.dataImages === 'off' || config.executor === 'kubernetes') return undefined;
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

/** The executor the configuration names, with the settings of its kind. */
function executorConfig(config: Config): ExecutorConfig {
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
    };
  }
  return { kind: 'sandbox', runtimesDir: config.runtimesDir, gpuDevDir: config.gpuDevDir, ...(config.sandboxRoot ? { root: config.sandboxRoot } : {}) };
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
