import { type Kysely, sql } from 'kysely';
import type { DatabaseDialect } from './database-dialect.js';
import { migrateToLatest } from './migrations.js';
import { postgresDialect } from './postgres/postgres-dialect.js';
import type { Database } from './schema.js';
import { sqliteDialect } from './sqlite/sqlite-dialect.js';

/** An open, migrated database and the dialect it speaks. */
export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: DatabaseDialect;
}

const dialects: readonly DatabaseDialect[] = [sqliteDialect, postgresDialect];

/** The dialect of a database URL. @throws Error naming the URL forms understood. */
export function dialectFor(url: string): DatabaseDialect {
  const dialect = dialects.find((d) => d.accepts(url));
  if (!dialect) throw new Error(`unsupported database URL "${redact(url)}": use sqlite:/path/to/holdout.db or postgres://user@host:5432/holdout`);
  return dialect;
}

/** Opens the database named by a URL and migrates it to the latest schema. */
export async function createDatabase(url: string): Promise<OpenDatabase> {
  const dialect = dialectFor(url);
  const db = await dialect.open(url);
  try {
    await dialect.serializeMigrations(db, () => migrateToLatest(db as Kysely<unknown>));
  } catch (err) {
    await db.destroy();
    // A refused connection first shows up here: name the database it was about.
    throw new Error(`database ${redact(url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return { db, dialect };
}

/** One round trip to the database (`select 1`): whether it answers now. @throws the driver's error */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]+):[^@/]*@/i, '$1:***@');
}
