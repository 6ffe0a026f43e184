import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { finalCandidates } from '../domain/score-history.js';
import type { Database, NewSubmission, PhaseCarriesTable } from './schema.js';
import { notDisqualified } from './disqualified.js';

/** A phase's carry, as recorded; `fresh` when this call did it. */
export interface PhaseCarry {
  phase: string;
  fromPhase: string;
  carried: number;
  carriedAt: string;
  fresh: boolean;
}

export interface CarryRequest {
  competitionId: string;
  fromPhase: string;
  toPhase: string;
  /** How many an entrant may select for the final ranking: without a selection, its best this many. */
  finalSelections: number;
  higherIsBetter: boolean;
  now: Date;
}

/** Prefix of a carried run's quota day: a day of its own per origin, never one a quota counts. */
export const carriedQuotaPrefix = 'carried:';

/**
 * Carrying participants' selected submissions of one phase into the next, where they run again
 * on its data. Once per phase: the first carry records it and every later call (a host's retry,
 * another server's sweep) returns that record; (origin, phase) is unique besides.
 */
export class PhaseCarriesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async get(competitionId: string, phase: string): Promise<PhaseCarry | undefined> {
    const row = await this.db.selectFrom('phase_carries').selectAll().where('competition_id', '=', competitionId).where('phase', '=', phase).executeTakeFirst();
    return row && view(row, false);
  }

  /** The carry that took phase `fromPhase`'s selections into the next phase, if one did. */
  async carriedFrom(competitionId: string, fromPhase: string): Promise<PhaseCarry | undefined> {
    const row = await this.db.selectFrom('phase_carries').selectAll().where('competition_id', '=', competitionId).where('from_phase', '=', fromPhase).executeTakeFirst();
    return row && view(row, false);
  }

  /**
   * Queues, as new full submissions of `toPhase`, each entrant's (participant's or team's)
   * selected scored submissions of `fromPhase`, or without a selection its best
   * `finalSelections` by public score: the submissions its private ranking would count.
   * Disqualified participants are left out. A carried run uses no quota and no compute budget,
   * waits behind the participants' own runs, and names its origin in `carried_from`.
   */
  async carry(r: CarryRequest): Promise<PhaseCarry> {
    return this.db.transaction().execute(async (trx) => {
      const marker: PhaseCarriesTable = { competition_id: r.competitionId, phase: r.toPhase, from_phase: r.fromPhase, carried: 0, carried_at: r.now.toISOString() };
      const inserted = await trx.insertInto('phase_carries').values(marker).onConflict((oc) => oc.columns(['competition_id', 'phase']).doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
        const done = await trx.selectFrom('phase_carries').selectAll().where('competition_id', '=', r.competitionId).where('phase', '=', r.toPhase).executeTakeFirstOrThrow();
        return view(done, false);
      }
      const rows = await this.carriedRows(trx, r);
      for (const row of rows) {
        await trx.insertInto('submissions').values(row).onConflict((oc) => oc.columns(['carried_from', 'phase']).doNothing()).execute();
      }
      await trx.updateTable('phase_carries').set({ carried: rows.length }).where('competition_id', '=', r.competitionId).where('phase', '=', r.toPhase).execute();
      return view({ ...marker, carried: rows.length }, true);
    });
  }

  private async carriedRows(trx: Transaction<Database>, r: CarryRequest): Promise<NewSubmission[]> {
    const scored = await trx
      .selectFrom('submissions')
      .leftJoin('team_members', (j) =>
        j.onRef('team_members.user_id', '=', 'submissions.user_id').onRef('team_members.competition_id', '=', 'submissions.competition_id'),
      )
      .selectAll('submissions')
      .select('team_members.team_id')
      .where('submissions.competition_id', '=', r.competitionId)
      .where('submissions.phase', '=', r.fromPhase)
      .where('submissions.kind', '=', 'full')
      .where('submissions.status', '=', 'scored')
      .where(notDisqualified)
      .orderBy('submissions.created_at')
      .execute();
    const byEntrant = new Map<string, typeof scored>();
    for (const s of scored) {
      const entrant = s.team_id ? `team:${s.team_id}` : s.user_id;
      byEntrant.set(entrant, [...(byEntrant.get(entrant) ?? []), s]);
    }
    const chosen = [...byEntrant.values()].flatMap((subs) =>
      finalCandidates(
        subs.map((s) => ({ s, selected: s.selected === 1, publicScore: s.public_primary, createdAt: s.created_at })),
        r.finalSelections,
        r.higherIsBetter,
      ).map((x) => x.s),
    );
    const now = r.now.toISOString();
    return chosen.map((s) => ({
      id: randomUUID(),
      competition_id: r.competitionId,
      user_id: s.user_id,
      phase: r.toPhase,
      kind: 'full',
      status: 'queued',
      reason: null,
      message: null,
      zip_key: s.zip_key,
      zip_bytes: s.zip_bytes,
      zip_sha256: s.zip_sha256,
      created_at: now,
      started_at: null,
      finished_at: null,
      run_ms: null,
      exit_code: null,
      public_scores: null,
      private_scores: null,
      public_primary: null,
      private_primary: null,
      log_key: null,
      log_bytes: null,
      lease_owner: null,
      lease_expires_at: null,
      quota_day: `${carriedQuotaPrefix}${s.id}`,
      quota_slot: 0,
      quota_owner: s.quota_owner,
      background: 1,
      carried_from: s.id,
    }));
  }
}

function view(row: PhaseCarriesTable, fresh: boolean): PhaseCarry {
  return { phase: row.phase, fromPhase: row.from_phase, carried: Number(row.carried), carriedAt: row.carried_at, fresh };
}
