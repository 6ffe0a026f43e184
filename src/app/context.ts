import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import { CompetitionsRepo } from '../db/competitions-repo.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/schema.js';
import { SubmissionsRepo } from '../db/submissions-repo.js';
import { UsersRepo } from '../db/users-repo.js';
import { createExecutor } from '../executors/create-executor.js';
import type { Executor } from '../executors/executor.js';
import type { BlobStore } from '../storage/blob-store.js';
import { createBlobStore } from '../storage/create-blob-store.js';
import { BundleCache } from '../worker/bundle-cache.js';
import { Worker } from '../worker/worker.js';
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
  executor: Executor;
  /** The in-process worker, when config.workers > 0. */
  worker?: Worker;
  close(): Promise<void>;
}

export async function createContext(config: Config, logger: Logger = pino({ level: config.logLevel })): Promise<AppContext> {
  await mkdir(config.dataDir, { recursive: true });
  const db = await createDatabase(config.databaseUrl);
  const blobs = createBlobStore({ kind: config.blobStore, root: config.blobDir });
  const executor = createExecutor({ kind: config.executor, ...(config.sandboxRoot ? { root: config.sandboxRoot } : {}) });
  const submissions = new SubmissionsRepo(db);
  const competitions = new CompetitionsRepo(db);
  let worker: Worker | undefined;
  if (config.workers > 0) {
    await executor.check();
    worker = new Worker(
      { submissions, competitions, blobs, executor, bundles: new BundleCache(blobs, path.join(config.dataDir, 'cache', 'bundles')), logger },
      {
        concurrency: config.workers,
        leaseMs: config.leaseMs,
        maxAttempts: config.maxAttempts,
        maxUnpackedBytes: config.maxUnpackedBytes,
        maxFiles: config.maxFiles,
        scratchDir: path.join(config.dataDir, 'scratch'),
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
    executor,
    ...(worker ? { worker } : {}),
    async close() {
      await worker?.stop();
      await db.destroy();
    },
  };
}
