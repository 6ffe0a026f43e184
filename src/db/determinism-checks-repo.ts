import { randomUUID } from 'node:crypto';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { DeterminismResult } from '../domain/determinism.js';
import type { Database, DeterminismCheckRow, DeterminismState } from './schema.js';

/** Attempts before a check that keeps losing its worker (or failing on the platform) ends as failed. */
export const maxCheckAttempts = 3;

/**
 * How long a check waits for a worker other than the original before the original may take it:
 * another worker may be alive yet unable to run this competition (too few GPUs, another runtime).
 */
export const otherWorkerWaitMs = 10 * 60_000;

const iso = (ms: number): string => new Date(ms).toISOString();

type Where = (eb: ExpressionBuilder<Database, 'determinism_checks'>) => Expression<SqlBool>;

/** A worker's hold on one attempt of a check. */
export interface CheckLease {
  owner: string;
  attempt: number;
}

/** The `determinism_checks` table: requests, claims under a lease, and results. */
export class DeterminismChecksRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Queues a check of `submissionId`; `originalWorkerId` is the worker whose attempt scored it. */
  async create(input: { submissionId: string; competitionId: string; requestedBy: string; tolerance: number; originalWorkerId: string | null }, now = Date.now()): Promise<DeterminismCheckRow> {
    return this.db
      .insertInto('determinism_checks')
      .values({
        id: randomUUID(),
        submission_id: input.submissionId,
        competition_id: input.competitionId,
        requested_by: input.requestedBy,
        status: 'queued',
        reason: null,
        tolerance: input.tolerance,
        original_worker_id: input.originalWorkerId,
        worker_id: null,
        same_worker: null,
        lease_owner: null,
        lease_expires_at: null,
        result_json: null,
        created_at: iso(now),
        started_at: null,
        finished_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  get(id: string): Promise<DeterminismCheckRow | undefined> {
    return this.db.selectFrom('determinism_checks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A submission's checks, newest first. */
  forSubmission(submissionId: string): Promise<DeterminismCheckRow[]> {
    return this.db.selectFrom('determinism_checks').selectAll().where('submission_id', '=', submissionId).orderBy('created_at', 'desc').orderBy('id').execute();
  }

  /**
   * Claims the oldest check this worker may run: queued, or running under an expired lease. A
   * check avoids its original worker while another live, non-draining worker is registered
   * (`aliveWithinMs`), unless it has waited {@link otherWorkerWaitMs}. `competitions`: ids of the
   * only competitions whose checks it takes (a worker token's scope); undefined: all.
   */
  async claim(owner: string, leaseMs: number, aliveWithinMs: number, competitions?: readonly string[], now = Date.now()): Promise<DeterminismCheckRow | undefined> {
    const nowIso = iso(now);
    const claimable: Where = (eb) =>
      eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', nowIso)])]);
    const mayRunHere: Where = (eb) =>
      eb.or([
        eb('original_worker_id', 'is', null),
        eb('original_worker_id', '!=', owner),
        eb('created_at', '<', iso(now - otherWorkerWaitMs)),
        eb.not(
          eb.exists(
            eb.selectFrom('workers').select('workers.id').where('workers.id', '!=', owner).where('workers.seen_at', '>', iso(now - aliveWithinMs)).where('workers.draining', '=', 0),
          ),
        ),
      ]);
    let candidate = this.db.selectFrom('determinism_checks').select('id').where(claimable).where(mayRunHere).orderBy('created_at').limit(1);
    if (competitions) candidate = candidate.where('competition_id', 'in', competitions.length > 0 ? [...competitions] : ['']);
    return this.db
      .updateTable('determinism_checks')
      .set((eb) => ({
        status: 'running',
        lease_owner: owner,
        lease_expires_at: iso(now + leaseMs),
        worker_id: owner,
        same_worker: eb.case().when('original_worker_id', '=', owner).then(1).else(0).end(),
        started_at: nowIso,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', candidate)
      // Checked again on the row: two workers that picked the same candidate cannot both take it.
      .where(claimable)
      .returningAll()
      .executeTakeFirst();
  }

  /** Extends the lease; false once another worker has taken the check. */
  async renew(id: string, lease: CheckLease, leaseMs: number, now = Date.now()): Promise<boolean> {
    const r = await this.db.updateTable('determinism_checks').set({ lease_expires_at: iso(now + leaseMs) }).where(held(id, lease)).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Records the final state while the lease holds; false when it no longer does. */
  async finish(id: string, lease: CheckLease, status: Exclude<DeterminismState, 'queued' | 'running'>, reason: string, result: DeterminismResult | null, now = Date.now()): Promise<boolean> {
    const r = await this.db
      .updateTable('determinism_checks')
      .set({ status, reason, result_json: result ? JSON.stringify(result) : null, finished_at: iso(now), lease_owner: null, lease_expires_at: null })
      .where(held(id, lease))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Gives the check back to the queue (the worker shuts down, or the platform failed and attempts remain). */
  async requeue(id: string, lease: CheckLease, reason: string | null): Promise<boolean> {
    const r = await this.db
      .updateTable('determinism_checks')
      .set({ status: 'queued', reason, lease_owner: null, lease_expires_at: null })
      .where(held(id, lease))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}

const held =
  (id: string, lease: CheckLease): Where =>
  (eb) =>
    eb.and([eb('id', '=', id), eb('lease_owner', '=', lease.owner), eb('attempts', '=', lease.attempt), eb('status', '=', 'running')]);
