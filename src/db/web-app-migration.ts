import type { Kysely, Migration } from 'kysely';

/**
 * Teams, competition hosts, rules acceptance, disqualifications and final-ranking selection.
 * Types stay portable (text ISO timestamps, integer) so SQLite and PostgreSQL share it.
 */
export const webAppMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // The team whose shared daily quota a submission counts against (null: its user's own). Team
    // slots get their own unique index so the team quota holds under races as the user one does;
    // nulls are distinct in unique indexes (SQLite and PostgreSQL), so solo rows are left to
    // the existing per-user index.
    await db.schema.alterTable('submissions').addColumn('quota_owner', 'text').execute();
    await db.schema.alterTable('submissions').addColumn('selected', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema
      .createIndex('submissions_team_quota')
      .on('submissions')
      .columns(['competition_id', 'quota_owner', 'phase', 'quota_day', 'quota_slot'])
      .unique()
      .execute();

    await db.schema
      .createTable('teams')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('competition_id', 'text', (c) => c.notNull().references('competitions.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('invite_code', 'text', (c) => c.notNull().unique())
      .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('teams_name_unique', ['competition_id', 'name'])
      .execute();
    await db.schema
      .createTable('team_members')
      .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
      .addColumn('competition_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('joined_at', 'text', (c) => c.notNull())
      // One team per participant per competition.
      .addPrimaryKeyConstraint('team_members_pk', ['competition_id', 'user_id'])
      .execute();
    await db.schema
      .createTable('competition_hosts')
      .addColumn('competition_id', 'text', (c) => c.notNull().references('competitions.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('competition_hosts_pk', ['competition_id', 'user_id'])
      .execute();
    await db.schema
      .createTable('rule_acceptances')
      .addColumn('competition_id', 'text', (c) => c.notNull().references('competitions.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('accepted_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('rule_acceptances_pk', ['competition_id', 'user_id'])
      .execute();
    await db.schema
      .createTable('disqualifications')
      .addColumn('competition_id', 'text', (c) => c.notNull().references('competitions.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('by_user_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('disqualifications_pk', ['competition_id', 'user_id'])
      .execute();
  },
};
