import type { Logger } from 'pino';
import type { CompetitionsRepo } from '../db/competitions-repo.js';
import type { DeterminismChecksRepo } from '../db/determinism-checks-repo.js';
import type { SubmissionRow } from '../db/schema.js';
import type { SubmissionsRepo } from '../db/submissions-repo.js';
import type { WorkersRepo } from '../db/workers-repo.js';
import type { DataImageCache } from '../data-images/image-cache.js';
import type { TestFeatures } from '../data-images/test-features.js';
import type { Executor } from '../executors/executor.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { BundleCache } from './bundle-cache.js';
import type { Deadlines } from './deadlines.js';
import type { SweepAges } from './host-sweep.js';
import type { WorkerOffer } from './worker-resources.js';

/** What a Worker is made of: its options and the parts it works with (database or worker API). */
export interface WorkerOptions {
  /** Runs at once. */
  concurrency: number;
  leaseMs: number;
  maxAttempts: number;
  maxUnpackedBytes: number;
  maxFiles: number;
  /** Scratch folder for downloads and unpacked code. */
  scratchDir: string;
  /**
   * How often an idle worker looks for work it was not woken for (other processes' uploads,
   * expired leases). In-process uploads call `wake()` and start at once.
   * @defaultValue 1000
   */
  pollMs?: number;
  /**
   * What this worker offers; it claims only submissions whose competition fits what is free.
   * @defaultValue the whole host (`hostOffer`), any runtime
   */
  offer?: WorkerOffer;
  /** When unfinished submissions are ended (see `Deadlines`). @defaultValue `defaultDeadlines` */
  deadlines?: Partial<Deadlines>;
  /** When killed workers' leftovers are cleaned (see `sweepHost`). @defaultValue `defaultSweepAges` */
  sweepAges?: Partial<SweepAges>;
}

/**
 * The queue operations a worker uses: the database's (`SubmissionsRepo`), or the worker API's
 * for an outbound-only worker (`RemoteQueue`), which has the server call the same repository.
 */
export type WorkerQueue = Pick<SubmissionsRepo, 'claim' | 'renewLease' | 'markScoring' | 'finish' | 'requeue' | 'handBack' | 'expireQueued'>;
/** The competitions a worker reads. */
export type WorkerCompetitions = Pick<CompetitionsRepo, 'byId' | 'bundleKeys'> & Partial<Pick<CompetitionsRepo, 'dataImageDigests'>>;
/** The worker registry a worker heartbeats to and sweeps with. */
export type WorkerRegistry = Pick<WorkersRepo, 'heartbeat' | 'deregister' | 'list' | 'pruneLost'>;

/** Hosts' determinism checks a worker claims when no submission waits (the repository, or RemoteChecks). */
export interface WorkerChecks {
  repo: Pick<DeterminismChecksRepo, 'claim' | 'renew' | 'finish' | 'requeue'>;
  /** The submission a check runs again. */
  submission(id: string): Promise<SubmissionRow | undefined>;
}

export interface WorkerDeps {
  submissions: WorkerQueue;
  competitions: WorkerCompetitions;
  /** Where the worker registers and heartbeats; without it the worker stays unlisted. */
  workers?: WorkerRegistry;
  /**
   * Whether a failed queue write may succeed if tried again (a database restart, a server that is
   * unreachable for a moment): such writes are retried for a while (see `persist`).
   * @defaultValue isTransientDbError
   */
  isTransient?: (err: unknown) => boolean;
  blobs: BlobStore;
  executor: Executor;
  bundles: BundleCache;
  /** Where runs read their features from when not from the bundle copy (data images, host folders). */
  features?: TestFeatures;
  /** The data images mounted on this host, pruned by the sweep. */
  images?: DataImageCache;
  /** Determinism checks; without them the worker runs none. */
  checks?: WorkerChecks;
  logger: Logger;
}
