import { type Kysely, sql } from 'kysely';
import type { Database, SubmissionRow } from './schema.js';
import type { RunEndedHook } from './submissions-repo.js';
import { notDisqualified } from './disqualified.js';

/** A submission with who made it (and their current team), for hosts and teams. */
export type AttributedSubmission = SubmissionRow & { username: string; team_id: string | null; team_name: string | null };

const finalStatuses = ['scored', 'failed', 'cancelled'] as const;

/** Queries and actions over many submissions: host views, the queue, re-runs, cancels, selection. */
export class HostSubmissionsRepo {
  constructor(
    private readonly db: Kysely<Database>,
    /** Called in the transaction that cancels a run, as for the ends a worker records (the outbox). */
    private readonly onEnded?: RunEndedHook,
  ) {}

  private attributed() {
    return this.db
      .selectFrom('submissions')
      .innerJoin('users', 'users.id', 'submissions.user_id')
      .leftJoin('team_members', (j) =>
        j.onRef('team_members.user_id', '=', 'submissions.user_id').onRef('team_members.competition_id', '=', 'submissions.competition_id'),
      )
      .leftJoin('teams', 'teams.id', 'team_members.team_id')
      .selectAll('submissions')
      .select(['users.username', 'teams.id as team_id', 'teams.name as team_name']);
  }

  /** Every submission of a competition, newest first. */
  forCompetition(competitionId: string): Promise<AttributedSubmission[]> {
    return this.attributed().where('submissions.competition_id', '=', competitionId).orderBy('submissions.created_at', 'desc').execute();
  }

  /** Submissions of some users (a team's members) in a competition, newest first. */
  forUsers(competitionId: string, userIds: readonly string[]): Promise<AttributedSubmission[]> {
    return this.attributed()
      .where('submissions.competition_id', '=', competitionId)
      .where('submissions.user_id', 'in', [...userIds])
      .orderBy('submissions.created_at', 'desc')
      .execute();
  }

  /** Scored full runs for the leaderboard, without disqualified participants. */
  scoredForBoard(competitionId: string): Promise<AttributedSubmission[]> {
    return this.attributed()
      .where('submissions.competition_id', '=', competitionId)
      .where('submissions.kind', '=', 'full')
      .where('submissions.status', '=', 'scored')
      .where(notDisqualified)
      .orderBy('submissions.created_at')
      .execute();
  }

  /** What is queued or running, oldest first, across competitions. */
  active() {
    return this.db
      .selectFrom('submissions')
      .innerJoin('users', 'users.id', 'submissions.user_id')
      .innerJoin('competitions', 'competitions.id', 'submissions.competition_id')
      .select([
        'submissions.id',
        'submissions.kind',
        'submissions.status',
        'submissions.created_at',
        'submissions.started_at',
        'submissions.lease_owner',
        'submissions.attempts',
        'users.username',
        'competitions.slug',
      ])
      .where('submissions.status', 'in', ['queued', 'running', 'scoring'])
      .orderBy('submissions.created_at')
      .execute();
  }

  /**
   * Queues finished submissions to be scored again from the predictions their run wrote (scores
   * and reason cleared; time, exit code and log kept). The quota slot is kept.
   */
  async requeueForRescore(competitionId: string, ids?: readonly string[]): Promise<number> {
    let q = this.db
      .updateTable('submissions')
      .set({
        status: 'queued', rescore: 1, reason: null, message: null, finished_at: null, public_scores: null, private_scores: null,
        public_primary: null, private_primary: null, attempts: 0, lease_owner: null, lease_expires_at: null, background: 1,
      })
      .where('competition_id', '=', competitionId)
      .where('status', 'in', ['scored', 'failed']);
    q = ids ? q.where('id', 'in', [...ids]) : q.where('kind', '=', 'full');
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  /**
   * Puts finished submissions back in the queue as new (results cleared, attempts reset): a
   * re-run. The quota slot is kept.
   */
  async requeue(competitionId: string, ids?: readonly string[]): Promise<number> {
    let q = this.db
      .updateTable('submissions')
      .set({
        status: 'queued', reason: null, message: null, started_at: null, finished_at: null, run_ms: null, exit_code: null,
        public_scores: null, private_scores: null, public_primary: null, private_primary: null, log_key: null, log_bytes: null,
        log_truncated: 0, attempts: 0, lease_owner: null, lease_expires_at: null, rescore: 0, background: 1,
        cpu_ms: null, peak_memory_bytes: null, gpu_ms: null, gpu_estimated: 0, peak_gpu_memory_bytes: null,
      })
      .where('competition_id', '=', competitionId)
      .where('status', 'in', [...finalStatuses]);
    q = ids ? q.where('id', 'in', [...ids]) : q.where('kind', '=', 'full');
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  /**
   * Cancels a queued or running submission. A running one's worker loses its lease (its
   * heartbeat finds the row no longer running and aborts the run). The quota slot is freed.
   */
  async cancel(id: string, message: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('submissions')
        .set({ status: 'cancelled', message, finished_at: new Date().toISOString(), lease_owner: null, lease_expires_at: null, quota_day: sql<string>`${'void:'} || id` })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running', 'scoring'])
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await this.onEnded?.(trx, id);
      return true;
    });
  }

  async setSelected(id: string, selected: boolean): Promise<void> {
    await this.db.updateTable('submissions').set({ selected: selected ? 1 : 0 }).where('id', '=', id).execute();
  }
}
