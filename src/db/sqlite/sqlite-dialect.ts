import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
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
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  },
  // SQLite has one writer at a time: the claiming UPDATE … WHERE id = (SELECT …) is atomic as is.
  lockClaimCandidate: (candidate) => candidate,
} satisfies DatabaseDialect);
