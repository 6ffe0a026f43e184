import { Kysely, PostgresDialect } from 'kysely';
import type { DatabaseDialect } from '../database-dialect.js';
import type { Database } from '../schema.js';

/** OID of PostgreSQL's int8 (bigint), which node-postgres returns as a string by default. */
const INT8_OID = 20;

/**
 * PostgreSQL through node-postgres: `postgres://user:password@host:port/database` (or
 * `postgresql://…`, with any libpq-style query parameters node-postgres understands).
 */
export const postgresDialect: DatabaseDialect = Object.freeze({
  name: 'postgres',
  accepts: (url: string) => /^postgres(ql)?:\/\//.test(url),
  async open(url: string): Promise<Kysely<Database>> {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: url,
      // Byte counts and count(*) are bigint; every value Holdout stores fits a double exactly, and
      // the repositories then return numbers on both dialects. Per pool, not pg's global parsers.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle connection dropped by the server emits 'error' on the pool; unhandled, that would end
    // the process. The pool replaces the connection and the next query reports any lasting fault.
    pool.on('error', () => {});
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  },
  lockCompetition: (query) => query.forUpdate(),
  lockClaimCandidate: (candidate) => candidate.forUpdate().skipLocked(),
  // Kysely's PostgreSQL migrator already holds an advisory lock in one transaction.
  serializeMigrations: (_db, migrate) => migrate(),
} satisfies DatabaseDialect);
