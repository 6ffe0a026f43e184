import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
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
  '0130_run_usage': {
    async up(db: Kysely<unknown>) {
      // What a run used, where its executor measured it (null: unknown, never zero); run_ms is its wall time.
      for (const column of ['cpu_ms', 'peak_memory_bytes', 'gpu_ms', 'peak_gpu_memory_bytes']) {
        await db.schema.alterTable('submissions').addColumn(column, 'bigint').execute();
      }
      await db.schema.alterTable('submissions').addColumn('gpu_estimated', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  '0131_fair_scheduling': {
    async up(db: Kysely<unknown>) {
      // Copied out of the configuration, as need_* are, so that a claim can order and cap in SQL.
      await db.schema.alterTable('competitions').addColumn('sched_weight', 'double precision', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema.alterTable('competitions').addColumn('max_running', 'integer').execute();
      await db.schema.alterTable('competitions').addColumn('max_running_per_entrant', 'integer').execute();
      const rows = await sql<{ id: string; config_json: string }>`select id, config_json from competitions`.execute(db);
      for (const row of rows.rows) {
        const s = (JSON.parse(row.config_json) as { scheduling?: { weight?: number; maxRunning?: number; maxRunningPerEntrant?: number } }).scheduling;
        if (s) await sql`update competitions set sched_weight = ${s.weight ?? 1}, max_running = ${s.maxRunning ?? null}, max_running_per_entrant = ${s.maxRunningPerEntrant ?? null} where id = ${row.id}`.execute(db);
      }
      // 1 for a host's re-run or re-score: it waits behind participants' own runs of its competition.
      await db.schema.alterTable('submissions').addColumn('background', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // Counting a competition's (and an entrant's) runs in progress at every claim.
      await db.schema.createIndex('submissions_running').on('submissions').columns(['competition_id', 'status', 'quota_owner', 'user_id']).execute();
    },
  },
  '0132_result_provenance': {
    async up(db: Kysely<unknown>) {
      // What a score can be traced to years later: the zip as uploaded, the test data, the bundle
      // (scoring program included) and the version of Holdout's own scoring code; the runtime digest is recorded already.
      for (const column of ['zip_sha256', 'test_data_digest', 'bundle_digest', 'scorer_version']) {
        await db.schema.alterTable('submissions').addColumn(column, 'text').execute();
      }
    },
  },
  '0150_competition_data_images': {
    async up(db: Kysely<unknown>) {
      // The test and smoke features as read-only images (src/data-images): null where the
      // installing host could not make them; workers then copy the files as before.
      await db.schema.alterTable('competitions').addColumn('data_images_json', 'text').execute();
    },
  },
  '0160_worker_tokens': {
    async up(db: Kysely<unknown>) {
      // Tokens of outbound-only workers (`holdout worker --server`): they act on the queues of the
      // listed competitions only, and never as the user who created them.
      await db.schema
        .createTable('worker_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('competition_ids', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0170_determinism_checks': {
    async up(db: Kysely<unknown>) {
      // A host's re-run of a scored submission to see whether it gives the same predictions and
      // scores. A table of its own, not a submission row: it never touches quota, leaderboard or score.
      await db.schema
        .createTable('determinism_checks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('submission_id', 'text', (c) => c.notNull().references('submissions.id').onDelete('cascade'))
        .addColumn('competition_id', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('tolerance', 'double precision', (c) => c.notNull())
        .addColumn('original_worker_id', 'text')
        .addColumn('worker_id', 'text')
        .addColumn('same_worker', 'integer')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .addColumn('result_json', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('determinism_checks_submission').on('determinism_checks').column('submission_id').execute();
      await db.schema.createIndex('determinism_checks_status').on('determinism_checks').columns(['status', 'created_at']).execute();
    },
  },
  '0171_notifications': {
    async up(db: Kysely<unknown>) {
      // Where a participant (account) and a competition's hosts want to be told; a per-account
      // secret signs every body sent (HMAC-SHA256). A competition's hook is signed with the secret
      // of the host who set it.
      await db.schema.alterTable('users').addColumn('webhook_url', 'text').execute();
      await db.schema.alterTable('users').addColumn('webhook_secret', 'text').execute();
      await db.schema.alterTable('competitions').addColumn('host_webhook_url', 'text').execute();
      await db.schema.alterTable('competitions').addColumn('host_webhook_by', 'text').execute();
      // The outbox: a delivery is written in the transaction that ends the run (or by the alert
      // scan), so a restart never loses one; senders claim due rows under a short lease.
      await db.schema
        .createTable('notification_outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('competition_id', 'text')
        .addColumn('submission_id', 'text')
        .addColumn('dedupe_key', 'text')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('signer_id', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .execute();
      await db.schema.createIndex('notification_outbox_due').on('notification_outbox').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('notification_outbox_user').on('notification_outbox').columns(['user_id', 'created_at']).execute();
      await db.schema.createIndex('notification_outbox_competition').on('notification_outbox').columns(['competition_id', 'created_at']).execute();
      await db.schema.createIndex('notification_outbox_dedupe').on('notification_outbox').columns(['dedupe_key', 'created_at']).execute();
    },
  },
  '0172_notification_email': {
    async up(db: Kysely<unknown>) {
      // Run-ended mails (and, for hosts, alert mails) go only to accounts that gave an address and
      // opted in; the server sends them through the outbox like webhooks (channel 'email').
      await db.schema.alterTable('users').addColumn('email', 'text').execute();
      await db.schema.alterTable('users').addColumn('email_notifications', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  '0140_uploads': {
    async up(db: Kysely<unknown>) {
      // A resumable (tus) upload until it completes: whose, for what, how far, and its parts in the
      // blob store. In the database so that any server behind a load balancer can continue it.
      await db.schema
        .createTable('uploads')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('competition_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('length', 'bigint', (c) => c.notNull())
        .addColumn('received', 'bigint', (c) => c.notNull())
        .addColumn('parts', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('completed', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('uploads_expires_at').on('uploads').column('expires_at').execute();
    },
  },
  '0180_carried_submissions': {
    async up(db: Kysely<unknown>) {
      // A phase may re-run the previous phase's selected submissions on its own data: each carried
      // row names its origin, and (origin, phase) is unique, so no submission is carried twice.
      await db.schema.alterTable('submissions').addColumn('carried_from', 'text').execute();
      await db.schema.createIndex('submissions_carried').on('submissions').columns(['carried_from', 'phase']).unique().execute();
      // One row per phase once its carry is done: a second carry (another server, a host's retry) does nothing.
      await db.schema
        .createTable('phase_carries')
        .addColumn('competition_id', 'text', (c) => c.notNull().references('competitions.id').onDelete('cascade'))
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('from_phase', 'text', (c) => c.notNull())
        .addColumn('carried', 'integer', (c) => c.notNull())
        .addColumn('carried_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('phase_carries_pk', ['competition_id', 'phase'])
        .execute();
    },
  },
  '0181_phase_needs': {
    async up(db: Kysely<unknown>) {
      // What one run of each phase needs (its own limits and runtime, else the competition's),
      // copied out as competitions.need_* are, so that a claim skips in SQL what a worker cannot fit.
      await db.schema
        .createTable('phase_needs')
        .addColumn('competition_id', 'text', (c) => c.notNull().references('competitions.id').onDelete('cascade'))
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('need_cpus', 'double precision', (c) => c.notNull())
        .addColumn('need_memory_bytes', 'bigint', (c) => c.notNull())
        .addColumn('need_gpus', 'integer', (c) => c.notNull())
        .addColumn('runtime', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('phase_needs_pk', ['competition_id', 'phase'])
        .execute();
      type Needs = { cpus?: number; memoryBytes?: number; gpus?: number };
      type Stored = { runtime?: string; limits?: Needs; phases?: { name: string; own?: { limits?: Needs; runtime?: { name: string } } }[] };
      const rows = await sql<{ id: string; config_json: string }>`select id, config_json from competitions`.execute(db);
      for (const row of rows.rows) {
        const config = JSON.parse(row.config_json) as Stored;
        for (const p of config.phases ?? []) {
          const limits = p.own?.limits ?? config.limits ?? {};
          await sql`insert into phase_needs (competition_id, phase, need_cpus, need_memory_bytes, need_gpus, runtime)
            values (${row.id}, ${p.name}, ${limits.cpus ?? 0}, ${limits.memoryBytes ?? 0}, ${limits.gpus ?? 0}, ${p.own?.runtime?.name ?? config.runtime ?? ''})`.execute(db);
        }
      }
    },
  },
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
