import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The migrations from 0130 on, in order: resource use, fair scheduling, provenance, resumable
 * uploads, data images, worker tokens, determinism checks, notifications, carried selections,
 * phase needs, bundle uploads. Split from migrations.ts only for length; one list in the end.
 */
export const migrationsSince0130: Record<string, Migration> = {
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
  '0190_bundle_uploads': {
    async up(db: Kysely<unknown>) {
      // Bundle uploads are resumable too: they belong to no competition until installed (the slug
      // is inside the zip), and they leave a result (the competition made) for the client to read.
      // SQLite cannot drop a NOT NULL, so the table is rebuilt (in both dialects, alike).
      await db.schema
        .createTable('uploads_0190')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('competition_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('length', 'bigint', (c) => c.notNull())
        .addColumn('received', 'bigint', (c) => c.notNull())
        .addColumn('parts', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('completed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('result', 'text')
        .execute();
      await sql`insert into uploads_0190 (id, user_id, competition_id, kind, length, received, parts, metadata, created_at, expires_at, completed)
        select id, user_id, competition_id, kind, length, received, parts, metadata, created_at, expires_at, completed from uploads`.execute(db);
      await db.schema.dropTable('uploads').execute();
      await db.schema.alterTable('uploads_0190').renameTo('uploads').execute();
      await db.schema.createIndex('uploads_expires_at').on('uploads').column('expires_at').execute();
    },
  },
  '0200_harness_needs': {
    async up(db: Kysely<unknown>) {
      // A worker whose executor cannot mount a host's harness (kubernetes) leaves such competitions
      // to the others, rather than claiming a run only to fail it.
      await db.schema.alterTable('competitions').addColumn('needs_harness', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      const rows = await sql<{ id: string; config_json: string }>`select id, config_json from competitions`.execute(db);
      for (const row of rows.rows) {
        if ((JSON.parse(row.config_json) as { harness?: unknown }).harness !== undefined) await sql`update competitions set needs_harness = 1 where id = ${row.id}`.execute(db);
      }
    },
  },
};
