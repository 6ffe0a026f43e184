import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isTransientDbError } from './db-errors.js';
import { postgresAdminUrl } from './test-databases.case.js';

/** The error a real call gives, for `isTransientDbError` to judge. */
async function errorOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('the call did not fail');
}

describe('isTransientDbError: worth trying again, or not', () => {
  it('is true for a PostgreSQL server that cannot be reached', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: `postgres://nobody@127.0.0.1:${closed}/none` });
    assert.equal(isTransientDbError(await errorOf(() => client.connect())), true);
  });

  it('is false for a statement SQLite refuses', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (id TEXT PRIMARY KEY)');
    db.prepare("INSERT INTO t VALUES ('a')").run();
    assert.equal(isTransientDbError(await errorOf(async () => db.prepare("INSERT INTO t VALUES ('a')").run())), false);
    db.close();
  });

  it('is true for a connection the PostgreSQL server ends, false for a statement it refuses', { skip: postgresAdminUrl ? false : 'HOLDOUT_TEST_POSTGRES_URL is not set' }, async () => {
    const { default: pg } = await import('pg');
    const victim = new pg.Client({ connectionString: postgresAdminUrl });
    victim.on('error', () => undefined);
    await victim.connect();
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      assert.equal(isTransientDbError(await errorOf(() => victim.query('SELECT 1'))), true);
      assert.equal(isTransientDbError(await errorOf(() => admin.query('SELECT 1/0'))), false);
    } finally {
      await admin.end();
      await victim.end().catch(() => undefined);
    }
  });
});
