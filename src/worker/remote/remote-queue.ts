import type { StoredCompetition } from '../../db/competitions-repo.js';
import { parseConfig } from '../../db/competitions-repo.js';
import type { SubmissionRow } from '../../db/schema.js';
import type { ClaimFilter, Lease, SubmissionResult } from '../../db/submissions-repo.js';
import type { WorkerAdvert, WorkerState } from '../../db/workers-repo.js';
import type { WorkerCompetitions, WorkerQueue, WorkerRegistry } from '../worker.js';
import type { WorkerApi } from './worker-api.js';

/**
 * The queue of an outbound-only worker: each operation is one call of the worker API, where the
 * server runs the same `SubmissionsRepo` method under the worker's lease. A write the lease no
 * longer allows comes back as 409 `lease_not_held` and is `false` here, as from the repository.
 */
export class RemoteQueue implements WorkerQueue {
  constructor(
    private readonly api: WorkerApi,
    /** Slugs of the token's competitions this worker serves; undefined: all of them. */
    private readonly competitions?: readonly string[],
  ) {}

  async claim(owner: string, leaseMs: number, filter: ClaimFilter = {}): Promise<SubmissionRow | undefined> {
    const body = { workerId: owner, leaseMs, ...(filter.free ? { free: filter.free } : {}), ...(filter.runtimes ? { runtimes: filter.runtimes } : {}), ...(filter.harness === false ? { harness: false } : {}), ...(this.competitions ? { competitions: this.competitions } : {}) };
    const { submission } = await this.api.json<{ submission: SubmissionRow | null }>('/claim', { method: 'POST', json: body });
    return submission ?? undefined;
  }

  #lease(id: string, op: string, lease: Lease, extra: Record<string, unknown> = {}): Promise<boolean> {
    return this.api
      .call(`/submissions/${encodeURIComponent(id)}/${op}`, { method: 'POST', json: { workerId: lease.owner, attempt: lease.attempt, ...extra }, accept: [409] })
      .then((res) => res.status !== 409);
  }

  renewLease(id: string, lease: Lease, leaseMs: number): Promise<boolean> {
    return this.#lease(id, 'renew', lease, { leaseMs });
  }

  markScoring(id: string, lease: Lease): Promise<boolean> {
    return this.#lease(id, 'scoring', lease);
  }

  finish(id: string, lease: Lease, result: SubmissionResult): Promise<boolean> {
    return this.#lease(id, 'finish', lease, { result });
  }

  requeue(id: string, lease: Lease, message: string): Promise<boolean> {
    return this.#lease(id, 'requeue', lease, { message });
  }

  handBack(id: string, lease: Lease, message?: string): Promise<boolean> {
    return this.#lease(id, 'hand-back', lease, message === undefined ? {} : { message });
  }

  /** Queued deadlines are the server's and its database workers' to enforce, not a remote worker's. */
  async expireQueued(): Promise<string[]> {
    return [];
  }
}

/** The competitions of the token, read through the worker API. */
export class RemoteCompetitions implements WorkerCompetitions {
  constructor(private readonly api: WorkerApi) {}

  async byId(id: string): Promise<StoredCompetition | undefined> {
    const res = await this.api.call(`/competitions/${encodeURIComponent(id)}`, { accept: [404] });
    if (res.status === 404) return undefined;
    const c = (await res.json()) as Omit<StoredCompetition, 'config'> & { config: unknown };
    // Dates come as strings: revived as the repository does.
    return { ...c, config: parseConfig(JSON.stringify(c.config)) };
  }

  async bundleKeys(): Promise<string[]> {
    return (await this.api.json<{ keys: string[] }>('/bundle-keys')).keys;
  }
}

/** The registry of the token's workers (the queue page lists them; the sweep asks who is alive). */
export class RemoteRegistry implements WorkerRegistry {
  constructor(private readonly api: WorkerApi) {}

  async heartbeat(advert: WorkerAdvert, state: { running: number; draining: boolean }): Promise<void> {
    await this.api.call('/heartbeat', { method: 'POST', json: { advert, state } });
  }

  async deregister(id: string): Promise<void> {
    await this.api.call(`/workers/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  async list(lostAfterMs: number): Promise<WorkerState[]> {
    return (await this.api.json<{ workers: WorkerState[] }>('/workers', { query: { lostAfterMs: String(lostAfterMs) } })).workers;
  }

  /** Forgetting lost workers is the server's sweep, over every worker. */
  async pruneLost(): Promise<number> {
    return 0;
  }
}
