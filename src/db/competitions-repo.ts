import type { Kysely } from 'kysely';
import type { DataImages } from '../domain/data-image.js';
import type { CompetitionConfig } from '../domain/competition.js';
import { phaseConfig } from '../domain/phases.js';
import type { CompetitionRow, Database } from './schema.js';

/** A competition row with its configuration parsed back (dates revived). */
export interface StoredCompetition {
  id: string;
  slug: string;
  config: CompetitionConfig;
  bundleKey: string;
  bundleDigest: string;
  /** Its test (and smoke) features as read-only images, when the installing host could make them. */
  dataImages?: DataImages;
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
    ...(row.data_images_json ? { dataImages: JSON.parse(row.data_images_json) as DataImages } : {}),
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

  /** The data images every competition uses now (what a host's image cache must keep). */
  async dataImageDigests(): Promise<string[]> {
    const rows = await this.db.selectFrom('competitions').select('data_images_json').execute();
    return rows.flatMap((r) => {
      if (!r.data_images_json) return [];
      const images = JSON.parse(r.data_images_json) as DataImages;
      return [images.test.digest, ...(images.smoke ? [images.smoke.digest] : [])];
    });
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
  async upsert(c: { id: string; config: CompetitionConfig; bundleKey: string; bundleDigest: string; dataImages?: DataImages }): Promise<StoredCompetition> {
    const now = new Date().toISOString();
    const { limits, runtime } = c.config;
    const fields = {
      title: c.config.title,
      config_json: serializeConfig(c.config),
      bundle_key: c.bundleKey,
      bundle_digest: c.bundleDigest,
      data_images_json: c.dataImages ? JSON.stringify(c.dataImages) : null,
      need_cpus: limits.cpus,
      need_memory_bytes: limits.memoryBytes,
      need_gpus: limits.gpus,
      runtime,
      needs_harness: c.config.harness ? 1 : 0,
      sched_weight: c.config.scheduling?.weight ?? 1,
      max_running: c.config.scheduling?.maxRunning ?? null,
      max_running_per_entrant: c.config.scheduling?.maxRunningPerEntrant ?? null,
      updated_at: now,
    };
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('competitions')
        .values({ id: c.id, slug: c.config.slug, created_at: now, ...fields })
        .onConflict((oc) => oc.column('slug').doUpdateSet(fields))
        .returningAll()
        .executeTakeFirstOrThrow();
      // Each phase's needs, as its submissions run (phaseConfig): what a worker's claim filters on.
      await trx.deleteFrom('phase_needs').where('competition_id', '=', row.id).execute();
      const needs = c.config.phases.map((p) => {
        const { limits: own, runtime: ownRuntime } = phaseConfig(c.config, p.name);
        return { competition_id: row.id, phase: p.name, need_cpus: own.cpus, need_memory_bytes: own.memoryBytes, need_gpus: own.gpus, runtime: ownRuntime };
      });
      if (needs.length > 0) await trx.insertInto('phase_needs').values(needs).execute();
      return fromRow(row);
    });
  }
}
