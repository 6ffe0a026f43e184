import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database } from './schema.js';

/** The query that picks the id of one submission a claim may take. */
export type ClaimCandidate = SelectQueryBuilder<Database, 'submissions', { id: string }>;

/** The query that reads one competition's row inside a claim. */
export type CompetitionLock = SelectQueryBuilder<Database, 'competitions', { id: string }>;

/**
 * One database engine: how to open it from a URL, and the little that must differ between
 * engines. Schema, migrations and repositories are shared.
 * @remarks Implementations load their driver SDK lazily, inside `open`.
 */
export interface DatabaseDialect {
  readonly name: 'sqlite' | 'postgres';
  /** True when `url` names a database of this engine. */
  accepts(url: string): boolean;
  /** Connects (or opens the file); does not migrate. */
  open(url: string): Promise<Kysely<Database>>;
  /**
   * Makes concurrent claims pick different submissions: applied to the candidate query inside
   * the claiming UPDATE.
   */
  lockClaimCandidate(candidate: ClaimCandidate): ClaimCandidate;
  /**
   * Locks the competition row a claim counts runs of until the transaction ends, so that two
   * claims of one capped competition count one after another (PostgreSQL `FOR UPDATE`; SQLite
   * serializes writing transactions anyway).
   */
  lockCompetition(query: CompetitionLock): CompetitionLock;
  /**
   * Runs `migrate` so that processes opening one database at the same moment (a server and its
   * workers) migrate one after another: the first applies the migrations, the others find them applied.
   */
  serializeMigrations<T>(db: Kysely<Database>, migrate: () => Promise<T>): Promise<T>;
}
