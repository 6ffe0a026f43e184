import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { migrationsSince0130 } from './migrations-since-0130.js';
import { webAppMigration } from './web-app-migration.js';

/** Migrations live in code (not files found at run time) so a bundled build carries them. */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .execute();
      await db.schema
        .createTable('competitions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('config_json', 'text', (c) => c.notNull())
        .addColumn('bundle_key', 'text', (c) => c.notNull())
        .addColumn('bundle_digest', 'text', (c) => c.notNull())
        .addColumn('private_revealed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('submissions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('competition_id', 'text', (c) => c.notNull().references('competitions.id'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('message', 'text')
        .addColumn('zip_key', 'text', (c) => c.notNull())
        .addColumn('zip_bytes', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('run_ms', 'integer')
        .addColumn('exit_code', 'integer')
        .addColumn('public_scores', 'text')
        .addColumn('private_scores', 'text')
        .addColumn('public_primary', 'double precision')
        .addColumn('private_primary', 'double precision')
        .addColumn('log_key', 'text')
        .addColumn('log_bytes', 'bigint')
        .addColumn('log_truncated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .addColumn('quota_day', 'text', (c) => c.notNull())
        .addColumn('quota_slot', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('submissions_quota')
        .on('submissions')
        .columns(['competition_id', 'user_id', 'phase', 'quota_day', 'quota_slot'])
        .unique()
        .execute();
      await db.schema.createIndex('submissions_queue').on('submissions').columns(['status', 'created_at']).execute();
      await db.schema
        .createIndex('submissions_board')
        .on('submissions')
        .columns(['competition_id', 'kind', 'status', 'user_id'])
        .execute();
      await db.schema
        .createTable('workers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'text', (c) => c.notNull())
        .addColumn('capacity', 'integer', (c) => c.notNull())
        .execute();
      await sql`select 1`.execute(db);
    },
  },
  '0002_worker_offers_and_attempts': {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds a single column at a time.
      const add = (table: string, column: string, type: 'text' | 'integer' | 'bigint' | 'double precision', dflt?: string | number) =>
        db.schema
          .alterTable(table)
          .addColumn(column, type, (c) => (dflt === undefined ? c : c.notNull().defaultTo(dflt)))
          .execute();
      await add('workers', 'cpus', 'double precision', 0);
      await add('workers', 'memory_bytes', 'bigint', 0);
      await add('workers', 'gpus', 'integer', 0);
      await add('workers', 'executors', 'text', '[]');
      await add('workers', 'runtimes', 'text');
      await add('workers', 'running', 'integer', 0);
      await add('workers', 'draining', 'integer', 0);
      await add('competitions', 'need_cpus', 'double precision', 0);
      await add('competitions', 'need_memory_bytes', 'bigint', 0);
      await add('competitions', 'need_gpus', 'integer', 0);
      await add('competitions', 'runtime', 'text', '');
      const rows = await sql<{ id: string; config_json: string }>`select id, config_json from competitions`.execute(db);
      for (const row of rows.rows) {
        const config = JSON.parse(row.config_json) as { runtime?: string; limits?: { cpus?: number; memoryBytes?: number; gpus?: number } };
        await sql`update competitions set need_cpus = ${config.limits?.cpus ?? 0}, need_memory_bytes = ${config.limits?.memoryBytes ?? 0},
          need_gpus = ${config.limits?.gpus ?? 0}, runtime = ${config.runtime ?? ''} where id = ${row.id}`.execute(db);
      }
      await db.schema
        .createTable('submission_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('submission_id', 'text', (c) => c.notNull().references('submissions.id').onDelete('cascade'))
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('worker_id', 'text', (c) => c.notNull())
        .addColumn('claimed_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .addColumn('outcome', 'text')
        .addColumn('message', 'text')
        .execute();
      await db.schema.createIndex('submission_attempts_submission').on('submission_attempts').column('submission_id').execute();
      // Expired leases are looked up on every claim: an index keeps that flat as the table grows.
      await db.schema.createIndex('submissions_lease').on('submissions').column('lease_expires_at').execute();
    },
  },
  // Kysely runs migrations in name order and refuses one sorting before an applied one: a new
  // migration must be named after the last (0101_…), not 0003.
  '0100_web_app': webAppMigration,
  '0101_rescore': {
    async up(db: Kysely<unknown>) {
      // Set by a host's re-score: the worker scores the kept predictions instead of running again.
      await db.schema.alterTable('submissions').addColumn('rescore', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  '0102_login_failures': {
    async up(db: Kysely<unknown>) {
      // In the database, not in a server's memory: servers behind a load balancer share one count.
      await db.schema.createTable('login_failures').addColumn('key', 'text', (c) => c.notNull()).addColumn('at', 'text', (c) => c.notNull()).execute();
      await db.schema.createIndex('login_failures_key_at').on('login_failures').columns(['key', 'at']).execute();
      // Failures that left the window are deleted by time, whatever their key.
      await db.schema.createIndex('login_failures_at').on('login_failures').column('at').execute();
    },
  },
  '0103_submission_runtime': {
    async up(db: Kysely<unknown>) {
      // The runtime a result was produced in: a competition may move to another runtime later.
      await db.schema.alterTable('submissions').addColumn('runtime', 'text').execute();
      await db.schema.alterTable('submissions').addColumn('runtime_digest', 'text').execute();
    },
  },
  '0104_submission_runtime_image': {
    async up(db: Kysely<unknown>) {
      // Where the runtime image was pulled from: with the digest, what a participant pulls to reproduce a result.
      await db.schema.alterTable('submissions').addColumn('runtime_image', 'text').execute();
    },
  },
  ...migrationsSince0130,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the schema up to (and including) migration `name`, or down to it: for tests of what a
 * later migration does to rows written before it. @throws Error with the failing migration's name
 */
export async function migrateTo(db: Kysely<unknown>, name: string): Promise<void> {
  if (!(name in migrations)) throw new Error(`there is no migration "${name}"`);
  const { error, results } = await new Migrator({ db, provider }).migrateTo(name);
  if (error) throw new Error(`migration ${results?.find((r) => r.status === 'Error')?.migrationName ?? name} failed: ${error instanceof Error ? error.message : String(error)}`);
}

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const what = failed ? `migration ${failed} failed` : 'migrating failed';
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
