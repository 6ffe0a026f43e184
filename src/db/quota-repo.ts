import { type Kysely, sql } from 'kysely';
import type { ComputeUsed } from '../domain/compute-budget.js';
import { isUniqueViolation, QuotaExceededError } from './db-errors.js';
import type { Database, NewSubmission, SubmissionRow } from './schema.js';

/** Whose quota a submission counts against: a team's shared one, or its user's own. */
export interface QuotaOwner {
  userId: string;
  teamId?: string | undefined;
}

export const teamQuotaKey = (teamId: string): string => `team:${teamId}`;

/**
 * Daily quotas shared by a team. A team's submissions carry `quota_owner = "team:<id>"` and take
 * slots from a unique index of their own; a solo participant's keep the per-user index.
 */
export class QuotaRepo {
  constructor(private readonly db: Kysely<Database>) {}

  private slotsQuery(competitionId: string, owner: QuotaOwner, phase: string, day: string) {
    let q = this.db
      .selectFrom('submissions')
      .select('quota_slot')
      .where('competition_id', '=', competitionId)
      .where('phase', '=', phase)
      .where('quota_day', '=', day);
    // A solo participant's slots are all of their rows of the day (the per-user unique index).
    q = owner.teamId ? q.where('quota_owner', '=', teamQuotaKey(owner.teamId)) : q.where('user_id', '=', owner.userId);
    return q;
  }

  async usedToday(competitionId: string, owner: QuotaOwner, phase: string, day: string): Promise<number> {
    return (await this.slotsQuery(competitionId, owner, phase, day).execute()).length;
  }

  /**
   * Inserts a queued submission in the lowest free slot of its owner's day; two racing uploads
   * collide on a unique index and the loser retries.
   * @throws QuotaExceededError
   */
  async insertWithinQuota(row: Omit<NewSubmission, 'quota_slot' | 'quota_owner'>, owner: QuotaOwner, quota: number): Promise<SubmissionRow> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const taken = new Set((await this.slotsQuery(row.competition_id, owner, row.phase, row.quota_day).execute()).map((r) => r.quota_slot));
      let slot = 1;
      while (taken.has(slot)) slot++;
      if (slot > quota) throw new QuotaExceededError(quota);
      try {
        return await this.db
          .insertInto('submissions')
          .values({ ...row, quota_slot: slot, quota_owner: owner.teamId ? teamQuotaKey(owner.teamId) : null })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new Error('could not find a free quota slot after 20 attempts');
  }

  /**
   * CPU and GPU time of an entrant's runs created since `since`, for the weekly budget. Runs the
   * platform failed, cancelled runs (their quota slot is void) and carried runs do not count.
   */
  async computeSince(competitionId: string, owner: QuotaOwner, since: string): Promise<ComputeUsed> {
    let q = this.db
      .selectFrom('submissions')
      .select((eb) => [eb.fn.sum<number>('cpu_ms').as('cpu'), eb.fn.sum<number>('gpu_ms').as('gpu')])
      .where('competition_id', '=', competitionId)
      .where('created_at', '>=', since)
      .where(sql<boolean>`quota_day not like 'void:%'`)
      // A carried run is the host's doing (the phase re-runs a selection): it costs the entrant nothing.
      .where('carried_from', 'is', null);
    q = owner.teamId ? q.where('quota_owner', '=', teamQuotaKey(owner.teamId)) : q.where('user_id', '=', owner.userId);
    const r = await q.executeTakeFirstOrThrow();
    return { cpuMs: Number(r.cpu ?? 0), gpuMs: Number(r.gpu ?? 0) };
  }

  /** How many full (not smoke) submissions an owner has made in a phase (carried ones not counted): for its total quota. */
  async usedInPhase(competitionId: string, owner: QuotaOwner, phase: string): Promise<number> {
    let q = this.db
      .selectFrom('submissions')
      .select('id')
      .where('competition_id', '=', competitionId)
      .where('phase', '=', phase)
      .where('kind', '=', 'full')
      .where('carried_from', 'is', null);
    q = owner.teamId ? q.where('quota_owner', '=', teamQuotaKey(owner.teamId)) : q.where('user_id', '=', owner.userId).where('quota_owner', 'is', null);
    return (await q.execute()).length;
  }

  /** How many of a user's own submissions count on the given quota days (any owner). */
  async countedBy(competitionId: string, userId: string, days: readonly string[]): Promise<number> {
    const rows = await this.db
      .selectFrom('submissions')
      .select('id')
      .where('competition_id', '=', competitionId)
      .where('user_id', '=', userId)
      .where('quota_day', 'in', [...days])
      .execute();
    return rows.length;
  }
}
