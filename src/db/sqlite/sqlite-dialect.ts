import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { DatabaseDialect } from '../database-dialect.js';
import type { Database } from '../schema.js';

const prefix = 'sqlite:';

/**
 * The embedded default: `sqlite:/path/to/holdout.db` or `sqlite::memory:`, through better-sqlite3.
 * Several processes may share one file (WAL); one writer at a time.
 */
export const sqliteDialect: DatabaseDialect = Object.freeze({
  name: 'sqlite',
  accepts: (url: string) => url.startsWith(prefix),
  async open(url: string): Promise<Kysely<Database>> {
    const file = url.slice(prefix.length);
    const { default: SQLite } = await import('better-sqlite3');
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file);
    // First: switching to WAL takes a lock, which a process starting beside others must wait for.
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  },
  // SQLite has one writer at a time: the claiming UPDATE … WHERE id = (SELECT …) is atomic as is.
  lockCompetition: (query) => query,
  lockClaimCandidate: (candidate) => candidate,
  // Kysely's migration lock is a no-op on SQLite (it assumes one process), and SQLite DDL is not
  // run in a transaction by Kysely: two processes could both create the first table. BEGIN
  // IMMEDIATE takes the database's write lock first (others wait, busy_timeout), and the whole
  // migration commits at once. One connection, so Kysely's statements run inside it.
  async serializeMigrations<T>(db: Kysely<Database>, migrate: () => Promise<T>): Promise<T> {
    await sql`begin immediate`.execute(db);
    try {
      const result = await migrate();
      await sql`commit`.execute(db);
      return result;
    } catch (err) {
      await sql`rollback`.execute(db).catch(() => undefined);
      throw err;
    }
  },
} satisfies DatabaseDialect);
