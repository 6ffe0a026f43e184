import type { Logger } from 'pino';
import type { WorkerAdvert, WorkersRepo } from '../db/workers-repo.js';

/** What a worker reports on each heartbeat. */
export interface WorkerHeartbeat {
  running: number;
  draining: boolean;
}

/**
 * A worker's entry in the `workers` table: registered by the first heartbeat, kept fresh by the
 * next ones, removed by `leave()`. Heartbeats go one after another, so an older state never lands
 * after a newer one, and none lands after `leave()` (it would register the worker again).
 * Failures are logged, never thrown: the registry is for people, claiming does not depend on it.
 */
export class WorkerRegistration {
  private chain: Promise<void> = Promise.resolve();
  private left = false;

  constructor(
    private readonly workers: Pick<WorkersRepo, 'heartbeat' | 'deregister'> | undefined,
    private readonly advert: WorkerAdvert,
    private readonly logger: Logger,
  ) {}

  /** Records `state` now (after any heartbeat still in flight). */
  beat(state: WorkerHeartbeat): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (!this.workers || this.left) return;
      try {
        await this.workers.heartbeat(this.advert, state);
      } catch (err) {
        this.logger.warn({ err }, 'worker heartbeat failed');
      }
    });
    return this.chain;
  }

  /** Deregisters, once the heartbeats in flight have landed; later beats are ignored. */
  async leave(): Promise<void> {
    this.left = true;
    await this.chain;
    await this.workers?.deregister(this.advert.id).catch((err: unknown) => this.logger.warn({ err }, 'deregistering the worker failed'));
  }
}
