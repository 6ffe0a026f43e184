import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A database of its own for one test: nobody else's rows, dropped afterwards. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A dialect every database-touching test runs against, or the reason it is skipped here. */
export interface TestDialect {
  name: 'sqlite' | 'postgres';
  /** False, or why this dialect's tests cannot run on this machine (node:test prints it). */
  skip: string | false;
  create(): Promise<TestDatabase>;
}

/** The server tests may create databases on: `scripts/with-postgres.sh` starts one and sets it. */
export const postgresAdminUrl = process.env.HOLDOUT_TEST_POSTGRES_URL ?? '';

const sqlite: TestDialect = {
  name: 'sqlite',
  skip: false,
  async create() {
    // A file, not :memory:, so that worker processes can share it.
    const file = path.join(tmpdir(), `holdout-test-${randomUUID()}.db`);
    return {
      url: `sqlite:${file}`,
      drop: async () => {
        for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true });
      },
    };
  },
};

const postgres: TestDialect = {
  name: 'postgres',
  skip: postgresAdminUrl ? false : 'HOLDOUT_TEST_POSTGRES_URL is not set (run the tests through scripts/with-postgres.sh)',
  async create() {
    const name = `test_${randomUUID().replaceAll('-', '')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = new URL(postgresAdminUrl);
    url.pathname = `/${name}`;
    // FORCE: a test that failed half-way may leave connections open.
    return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  },
};

async function adminQuery(statement: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** SQLite always; PostgreSQL when a test server is configured. */
export const testDialects: readonly TestDialect[] = [sqlite, postgres];

/** A queued full submission row of user u1, as an upload inserts it (for the repositories' tests). */
export function queuedRow(createdAt: string, competitionId = 'c1', phase = 'dev') {
  return {
    id: randomUUID(), competition_id: competitionId, user_id: 'u1', phase, kind: 'full' as const, status: 'queued' as const,
    reason: null, message: null, zip_key: 'k', zip_bytes: 1, created_at: createdAt, started_at: null, finished_at: null,
    run_ms: null, exit_code: null, public_scores: null, private_scores: null, public_primary: null, private_primary: null,
    log_key: null, log_bytes: null, lease_owner: null, lease_expires_at: null, quota_day: '2026-01-01',
  };
}
