import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrations.js';

/**
 * Opens the database named by a URL and migrates it. `sqlite:PATH` (or `sqlite::memory:`) is the
 * embedded default; other dialects plug in here.
 */
export async function createDatabase(url: string): Promise<Kysely<Database>> {
  const db = await openDialect(url);
  await migrateToLatest(db as Kysely<unknown>);
  return db;
}

async function openDialect(url: string): Promise<Kysely<Database>> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    // The SDK is loaded only when this dialect is chosen.
    const { default: SQLite } = await import('better-sqlite3');
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  throw new Error(`unsupported database URL "${url}": use sqlite:/path/to/holdout.db`);
}
