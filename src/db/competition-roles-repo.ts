import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Per-competition facts about users: who hosts it, who accepted its rules, who is disqualified. */
export class CompetitionRolesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async isHost(competitionId: string, userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('competition_hosts')
      .select('user_id')
      .where('competition_id', '=', competitionId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  hosts(competitionId: string) {
    return this.db
      .selectFrom('competition_hosts')
      .innerJoin('users', 'users.id', 'competition_hosts.user_id')
      .select(['users.id as userId', 'users.username', 'competition_hosts.created_at as since'])
      .where('competition_id', '=', competitionId)
      .orderBy('users.username')
      .execute();
  }

  /** Slugs of the competitions each user hosts, for the admin's user list. */
  async hostedBy(): Promise<Map<string, string[]>> {
    const rows = await this.db
      .selectFrom('competition_hosts')
      .innerJoin('competitions', 'competitions.id', 'competition_hosts.competition_id')
      .select(['competition_hosts.user_id', 'competitions.slug'])
      .orderBy('competitions.slug')
      .execute();
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(r.user_id, [...(out.get(r.user_id) ?? []), r.slug]);
    return out;
  }

  async addHost(competitionId: string, userId: string): Promise<void> {
    await this.db
      .insertInto('competition_hosts')
      .values({ competition_id: competitionId, user_id: userId, created_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['competition_id', 'user_id']).doNothing())
      .execute();
  }

  async removeHost(competitionId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('competition_hosts').where('competition_id', '=', competitionId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async acceptedRulesAt(competitionId: string, userId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('rule_acceptances')
      .select('accepted_at')
      .where('competition_id', '=', competitionId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.accepted_at;
  }

  /** Idempotent: accepting twice keeps the first time. */
  async acceptRules(competitionId: string, userId: string): Promise<void> {
    await this.db
      .insertInto('rule_acceptances')
      .values({ competition_id: competitionId, user_id: userId, accepted_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['competition_id', 'user_id']).doNothing())
      .execute();
  }

  disqualification(competitionId: string, userId: string) {
    return this.db
      .selectFrom('disqualifications')
      .selectAll()
      .where('competition_id', '=', competitionId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  disqualified(competitionId: string) {
    return this.db
      .selectFrom('disqualifications')
      .innerJoin('users', 'users.id', 'disqualifications.user_id')
      .select(['users.id as userId', 'users.username', 'disqualifications.reason', 'disqualifications.created_at as since'])
      .where('competition_id', '=', competitionId)
      .orderBy('users.username')
      .execute();
  }

  async disqualify(competitionId: string, userId: string, reason: string, byUserId: string): Promise<void> {
    await this.db
      .insertInto('disqualifications')
      .values({ competition_id: competitionId, user_id: userId, reason, by_user_id: byUserId, created_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['competition_id', 'user_id']).doUpdateSet({ reason, by_user_id: byUserId }))
      .execute();
  }

  async reinstate(competitionId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('disqualifications').where('competition_id', '=', competitionId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
