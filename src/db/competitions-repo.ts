import type { Kysely } from 'kysely';
import type { CompetitionConfig } from '../domain/competition.js';
import type { CompetitionRow, Database } from './schema.js';

/** A competition row with its configuration parsed back (dates revived). */
export interface StoredCompetition {
  id: string;
  slug: string;
  config: CompetitionConfig;
  bundleKey: string;
  bundleDigest: string;
  privateRevealed: boolean;
  createdAt: string;
  updatedAt: string;
}

export function serializeConfig(config: CompetitionConfig): string {
  return JSON.stringify(config);
}

/** A stored configuration, dates revived. */
export function parseConfig(json: string): CompetitionConfig {
  const raw = JSON.parse(json) as CompetitionConfig & { phases: { start: string; end?: string }[] };
  return {
    ...raw,
    phases: raw.phases.map((p) => ({ ...p, start: new Date(p.start), ...(p.end ? { end: new Date(p.end) } : {}) })),
  } as CompetitionConfig;
}

function fromRow(row: CompetitionRow): StoredCompetition {
  return {
    id: row.id,
    slug: row.slug,
    config: parseConfig(row.config_json),
    bundleKey: row.bundle_key,
    bundleDigest: row.bundle_digest,
    privateRevealed: row.private_revealed === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class CompetitionsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async bySlug(slug: string): Promise<StoredCompetition | undefined> {
    const row = await this.db.selectFrom('competitions').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row && fromRow(row);
  }

  async byId(id: string): Promise<StoredCompetition | undefined> {
    const row = await this.db.selectFrom('competitions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  /** The bundle every competition uses now (what a host's bundle cache must keep). */
  async bundleKeys(): Promise<string[]> {
    return (await this.db.selectFrom('competitions').select('bundle_key').execute()).map((r) => r.bundle_key);
  }

  async list(): Promise<StoredCompetition[]> {
    const rows = await this.db.selectFrom('competitions').selectAll().orderBy('created_at').execute();
    return rows.map(fromRow);
  }

  /** Shows (or hides again) the private leaderboard and private scores to participants. */
  async setPrivateRevealed(id: string, revealed: boolean): Promise<void> {
    await this.db
      .updateTable('competitions')
      .set({ private_revealed: revealed ? 1 : 0, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  /** Creates the competition, or replaces its configuration and bundle when the slug exists. */
  async upsert(c: { id: string; config: CompetitionConfig; bundleKey: string; bundleDigest: string }): Promise<StoredCompetition> {
    const now = new Date().toISOString();
    const { limits, runtime } = c.config;
    const fields = {
      title: c.config.title,
      config_json: serializeConfig(c.config),
      bundle_key: c.bundleKey,
      bundle_digest: c.bundleDigest,
      need_cpus: limits.cpus,
      need_memory_bytes: limits.memoryBytes,
      need_gpus: limits.gpus,
      runtime,
      updated_at: now,
    };
    const row = await this.db
      .insertInto('competitions')
      .values({ id: c.id, slug: c.config.slug, created_at: now, ...fields })
      .onConflict((oc) => oc.column('slug').doUpdateSet(fields))
      .returningAll()
      .executeTakeFirstOrThrow();
    return fromRow(row);
  }
}
