import type { Kysely } from 'kysely';
import type { Database, WorkerRow } from './schema.js';

/** What a worker process tells the others about itself. */
export interface WorkerAdvert {
  id: string;
  hostname: string;
  /** Runs at once. */
  capacity: number;
  cpus: number;
  memoryBytes: number;
  gpus: number;
  executors: readonly string[];
  /** Undefined: any runtime its executors know. */
  runtimes?: readonly string[];
}

/** A registered worker as the queue page shows it. */
export interface WorkerState extends Omit<WorkerAdvert, 'executors' | 'runtimes'> {
  executors: string[];
  runtimes: string[] | null;
  running: number;
  draining: boolean;
  startedAt: string;
  seenAt: string;
  /** False once it has missed its heartbeats for longer than `lostAfterMs`. */
  alive: boolean;
}

/** The `workers` table: registration, heartbeats and deregistration of worker processes. */
export class WorkersRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Registers the worker or, when it is registered already, records a heartbeat. An upsert, so a
   * worker whose row was pruned while it was unreachable comes back by itself.
   */
  async heartbeat(w: WorkerAdvert, state: { running: number; draining: boolean }, now = new Date()): Promise<void> {
    const seen = now.toISOString();
    const changing = { seen_at: seen, running: state.running, draining: state.draining ? 1 : 0 };
    await this.db
      .insertInto('workers')
      .values({
        id: w.id,
        hostname: w.hostname,
        started_at: seen,
        capacity: w.capacity,
        cpus: w.cpus,
        memory_bytes: w.memoryBytes,
        gpus: w.gpus,
        executors: JSON.stringify(w.executors),
        runtimes: w.runtimes ? JSON.stringify(w.runtimes) : null,
        ...changing,
      })
      .onConflict((oc) => oc.column('id').doUpdateSet(changing))
      .execute();
  }

  /** Removes a worker that shut down cleanly. */
  async deregister(id: string): Promise<void> {
    await this.db.deleteFrom('workers').where('id', '=', id).execute();
  }

  /** Every registered worker, alive or lost. */
  async list(lostAfterMs: number, now = Date.now()): Promise<WorkerState[]> {
    const rows = await this.db.selectFrom('workers').selectAll().orderBy('started_at').orderBy('id').execute();
    return rows.map((r) => toState(r, now - lostAfterMs));
  }

  /** Forgets workers lost for longer than `olderThanMs`; returns how many. */
  async pruneLost(olderThanMs: number, now = Date.now()): Promise<number> {
    const r = await this.db.deleteFrom('workers').where('seen_at', '<', new Date(now - olderThanMs).toISOString()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function toState(r: WorkerRow, aliveSince: number): WorkerState {
  return {
    id: r.id,
    hostname: r.hostname,
    capacity: r.capacity,
    cpus: r.cpus,
    memoryBytes: Number(r.memory_bytes),
    gpus: r.gpus,
    executors: JSON.parse(r.executors) as string[],
    runtimes: r.runtimes === null ? null : (JSON.parse(r.runtimes) as string[]),
    running: r.running,
    draining: r.draining === 1,
    startedAt: r.started_at,
    seenAt: r.seen_at,
    alive: Date.parse(r.seen_at) >= aliveSince,
  };
}
