import type { Kysely } from 'kysely';
import type { FailureReason } from '../domain/submission.js';
import { isUniqueViolation, QuotaExceededError } from './db-errors.js';
import type { Database, NewSubmission, SubmissionRow } from './schema.js';

/** What a finished attempt records; any field left out stays as it is. */
export interface SubmissionResult {
  status: 'scored' | 'failed' | 'cancelled';
  reason?: FailureReason | null;
  message?: string | null;
  runMs?: number | null;
  exitCode?: number | null;
  publicScores?: Record<string, number> | null;
  privateScores?: Record<string, number> | null;
  publicPrimary?: number | null;
  privatePrimary?: number | null;
  logKey?: string | null;
  logBytes?: number | null;
  logTruncated?: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class SubmissionsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Inserts a queued submission in the lowest free quota slot of its day. The unique index on the
   * slot makes two racing uploads collide instead of both passing the count; the loser retries.
   * @throws QuotaExceededError
   */
  async insertWithinQuota(row: Omit<NewSubmission, 'quota_slot'>, quota: number): Promise<SubmissionRow> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const used = await this.db
        .selectFrom('submissions')
        .select('quota_slot')
        .where('competition_id', '=', row.competition_id)
        .where('user_id', '=', row.user_id)
        .where('phase', '=', row.phase)
        .where('quota_day', '=', row.quota_day)
        .execute();
      const taken = new Set(used.map((r) => r.quota_slot));
      let slot = 1;
      while (taken.has(slot)) slot++;
      if (slot > quota) throw new QuotaExceededError(quota);
      try {
        return await this.db.insertInto('submissions').values({ ...row, quota_slot: slot }).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new Error('could not find a free quota slot after 20 attempts');
  }

  /** How many submissions count against today's quota. */
  async usedToday(competitionId: string, userId: string, phase: string, day: string): Promise<number> {
    const r = await this.db
      .selectFrom('submissions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('competition_id', '=', competitionId)
      .where('user_id', '=', userId)
      .where('phase', '=', phase)
      .where('quota_day', '=', day)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  get(id: string): Promise<SubmissionRow | undefined> {
    return this.db.selectFrom('submissions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listForUser(competitionId: string, userId: string): Promise<SubmissionRow[]> {
    return this.db
      .selectFrom('submissions')
      .selectAll()
      .where('competition_id', '=', competitionId)
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .execute();
  }

  /**
   * Takes the oldest queued submission, or one whose worker's lease ran out, for `owner`.
   * A single UPDATE … WHERE id = (SELECT …) is atomic on SQLite (one writer at a time).
   */
  async claim(owner: string, leaseMs: number, now = Date.now()): Promise<SubmissionRow | undefined> {
    const nowIso = iso(now);
    const claimable = this.db
      .selectFrom('submissions')
      .select('id')
      .where((eb) =>
        eb.or([
          eb('status', '=', 'queued'),
          eb.and([eb('status', 'in', ['running', 'scoring']), eb('lease_expires_at', '<', nowIso)]),
        ]),
      )
      .orderBy('created_at')
      .limit(1);
    return this.db
      .updateTable('submissions')
      .set((eb) => ({
        status: 'running',
        lease_owner: owner,
        lease_expires_at: iso(now + leaseMs),
        started_at: nowIso,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', (eb) => eb.selectFrom(claimable.as('c')).select('c.id'))
      .returningAll()
      .executeTakeFirst();
  }

  /** Extends the lease; false when another worker has taken the submission meanwhile. */
  async renewLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const r = await this.db
      .updateTable('submissions')
      .set({ lease_expires_at: iso(Date.now() + leaseMs) })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', 'in', ['running', 'scoring'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async markScoring(id: string, owner: string): Promise<boolean> {
    const r = await this.db
      .updateTable('submissions')
      .set({ status: 'scoring' })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Puts a submission back in the queue after an infrastructure failure, for another attempt. */
  async requeue(id: string, owner: string, message: string): Promise<void> {
    await this.db
      .updateTable('submissions')
      .set({ status: 'queued', lease_owner: null, lease_expires_at: null, message })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /**
   * Records the end of an attempt, only while `owner` still holds the lease: a worker that lost
   * its lease can never overwrite the result of the one that took over (idempotent recording).
   */
  async finish(id: string, owner: string, result: SubmissionResult): Promise<boolean> {
    const json = (v: Record<string, number> | null | undefined) => (v ? JSON.stringify(v) : null);
    const r = await this.db
      .updateTable('submissions')
      .set({
        status: result.status,
        reason: result.reason ?? null,
        message: result.message ?? null,
        finished_at: iso(Date.now()),
        run_ms: result.runMs ?? null,
        exit_code: result.exitCode ?? null,
        public_scores: json(result.publicScores),
        private_scores: json(result.privateScores),
        public_primary: result.publicPrimary ?? null,
        private_primary: result.privatePrimary ?? null,
        log_key: result.logKey ?? null,
        log_bytes: result.logBytes ?? null,
        log_truncated: result.logTruncated ? 1 : 0,
        lease_owner: null,
        lease_expires_at: null,
        // A failure of ours must not cost the participant a submission: free the quota slot.
        ...(result.reason === 'infrastructure' ? { quota_day: `void:${id}` } : {}),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', 'in', ['running', 'scoring'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Every scored full run of a competition with its participant's name, for the leaderboard. */
  scoredForBoard(competitionId: string) {
    return this.db
      .selectFrom('submissions')
      .innerJoin('users', 'users.id', 'submissions.user_id')
      .select([
        'submissions.id',
        'submissions.user_id',
        'users.username',
        'submissions.public_primary',
        'submissions.private_primary',
        'submissions.public_scores',
        'submissions.private_scores',
        'submissions.created_at',
      ])
      .where('submissions.competition_id', '=', competitionId)
      .where('submissions.kind', '=', 'full')
      .where('submissions.status', '=', 'scored')
      .execute();
  }

  async deleteRow(id: string): Promise<void> {
    await this.db.deleteFrom('submissions').where('id', '=', id).execute();
  }
}
