import path from 'node:path';
import type { Logger } from 'pino';
import { createExecutor } from '../executors/create-executor.js';
import { BundleCache } from '../worker/bundle-cache.js';
import { RemoteBlobStore } from '../worker/remote/remote-blob-store.js';
import { RemoteChecks } from '../worker/remote/remote-checks.js';
import { RemoteCompetitions, RemoteQueue, RemoteRegistry } from '../worker/remote/remote-queue.js';
import { ServerUnavailableError, WorkerApi, WorkerApiError } from '../worker/remote/worker-api.js';
import { Worker } from '../worker/worker.js';
import type { Config } from './config.js';
import { executorConfig, workerGpus, workerOptions } from './context.js';

/** Where an outbound-only worker finds its server. */
export interface RemoteWorkerTarget {
  /** The server's base URL, e.g. https://holdout.example. */
  server: string;
  /** A worker token (`hwk_…`) from a host. */
  token: string;
  /** Slugs of the token's competitions to serve; undefined: all of them. */
  competitions?: readonly string[];
}

/**
 * A worker that reaches only the server's HTTP API (`holdout worker --server URL --token T`): no
 * database, no blob-store credentials. It is the database worker itself (the same claim loop,
 * leases, heartbeats, deadlines, retries, run → validate → score) over `RemoteQueue` and
 * `RemoteBlobStore`. It scores on its own machine, so it reads its competitions' labels: a token
 * is made only by a host of every competition it serves, who has those labels already.
 */
export async function createRemoteWorker(config: Config, target: RemoteWorkerTarget, logger: Logger): Promise<{ worker: Worker; close(): Promise<void> }> {
  const api = new WorkerApi(target.server, target.token);
  const competitions = new RemoteCompetitions(api);
  try {
    // Refuses a wrong token or server now, not at the first claim.
    await competitions.bundleKeys();
  } catch (err) {
    if (err instanceof WorkerApiError && err.status === 401) throw new Error(`the server ${api.server} refused the worker token: ${err.message}`);
    if (err instanceof ServerUnavailableError) throw new Error(`${err.message}; check --server`);
    throw err;
  }
  const executor = createExecutor(executorConfig(config));
  const { gpus, release } = await workerGpus(config, executor);
  try {
    await executor.check({ gpus });
  } catch (err) {
    release();
    throw err;
  }
  const blobs = new RemoteBlobStore(api);
  const worker = new Worker(
    {
      submissions: new RemoteQueue(api, target.competitions),
      checks: new RemoteChecks(api, target.competitions),
      competitions,
      workers: new RemoteRegistry(api),
      blobs,
      executor,
      bundles: new BundleCache(blobs, path.join(config.dataDir, 'cache', 'bundles')),
      logger,
      isTransient: (err) => err instanceof ServerUnavailableError,
    },
    workerOptions(config, executor.name, gpus),
  );
  return {
    worker,
    async close() {
      await worker.stop(config.drainMs);
      release();
    },
  };
}
