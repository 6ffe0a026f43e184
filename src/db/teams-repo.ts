import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from './db-errors.js';
import type { Database, TeamRow } from './schema.js';

/** A team with its members' names. */
export interface TeamWithMembers extends TeamRow {
  members: { userId: string; username: string; joinedAt: string }[];
}

/** The team name is taken in this competition, or the user is in a team already. */
export class TeamConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TeamConflictError';
  }
}

/** Teams of a competition: one team per participant per competition, joined by an invite code. */
export class TeamsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** The team `userId` belongs to in a competition, if any. */
  async teamOf(competitionId: string, userId: string): Promise<TeamRow | undefined> {
    return this.db
      .selectFrom('team_members')
      .innerJoin('teams', 'teams.id', 'team_members.team_id')
      .selectAll('teams')
      .where('team_members.competition_id', '=', competitionId)
      .where('team_members.user_id', '=', userId)
      .executeTakeFirst();
  }

  /** Whose submissions count as `userId`'s in a competition: their team's members, or them alone. */
  async entrantUserIds(competitionId: string, userId: string): Promise<string[]> {
    const team = await this.teamOf(competitionId, userId);
    return team ? (await this.withMembers(team)).members.map((m) => m.userId) : [userId];
  }

  async withMembers(team: TeamRow): Promise<TeamWithMembers> {
    const members = await this.db
      .selectFrom('team_members')
      .innerJoin('users', 'users.id', 'team_members.user_id')
      .select(['users.id as userId', 'users.username', 'team_members.joined_at as joinedAt'])
      .where('team_members.team_id', '=', team.id)
      .orderBy('team_members.joined_at')
      .execute();
    return { ...team, members };
  }

  byInvite(code: string): Promise<TeamRow | undefined> {
    return this.db.selectFrom('teams').selectAll().where('invite_code', '=', code).executeTakeFirst();
  }

  list(competitionId: string): Promise<TeamRow[]> {
    return this.db.selectFrom('teams').selectAll().where('competition_id', '=', competitionId).orderBy('name').execute();
  }

  /** Creates a team with its creator as first member. @throws TeamConflictError */
  async create(competitionId: string, name: string, userId: string): Promise<TeamRow> {
    const now = new Date().toISOString();
    try {
      return await this.db.transaction().execute(async (trx) => {
        const team = await trx
          .insertInto('teams')
          .values({ id: randomUUID(), competition_id: competitionId, name, invite_code: randomBytes(12).toString('base64url'), created_by: userId, created_at: now })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx.insertInto('team_members').values({ team_id: team.id, competition_id: competitionId, user_id: userId, joined_at: now }).execute();
        return team;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new TeamConflictError(`the team name "${name}" is taken, or you are in a team already`);
      throw err;
    }
  }

  /** @throws TeamConflictError when the user is in a team of this competition already. */
  async join(team: TeamRow, userId: string): Promise<void> {
    try {
      await this.db
        .insertInto('team_members')
        .values({ team_id: team.id, competition_id: team.competition_id, user_id: userId, joined_at: new Date().toISOString() })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new TeamConflictError('you are in a team of this competition already; leave it first');
      throw err;
    }
  }

  /** Leaves the team; the last member to leave deletes it (its submissions stay with their authors). */
  async leave(team: TeamRow, userId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('team_members').where('team_id', '=', team.id).where('user_id', '=', userId).execute();
      const left = await trx.selectFrom('team_members').select('user_id').where('team_id', '=', team.id).executeTakeFirst();
      if (!left) await trx.deleteFrom('teams').where('id', '=', team.id).execute();
    });
  }
}
