import type { Kysely } from 'kysely';
import { isUniqueViolation } from './db-errors.js';
import type { Database } from './schema.js';

/**
 * Moves a full run that failed through its code from its day's quota to the day's allowance
 * for failed runs (`<day>:failed`), while that has fewer than `allowance` runs of its owner:
 * the quota slot it held is free again. Idempotent; false when it stays where it is.
 */
export async function useFailedAllowance(db: Kysely<Database>, id: string, allowance: number): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const row = await db.selectFrom('submissions').selectAll().where('id', '=', id).executeTakeFirst();
    // Only a day's own quota: smoke runs have their allowance, void and moved slots are used already.
    if (!row || row.status !== 'failed' || row.reason === 'infrastructure' || !/^\d{4}-\d{2}-\d{2}$/.test(row.quota_day)) return false;
    const day = `${row.quota_day}:failed`;
    let q = db.selectFrom('submissions').select('quota_slot').where('competition_id', '=', row.competition_id).where('phase', '=', row.phase).where('quota_day', '=', day);
    q = row.quota_owner ? q.where('quota_owner', '=', row.quota_owner) : q.where('user_id', '=', row.user_id);
    const taken = new Set((await q.execute()).map((r) => r.quota_slot));
    if (taken.size >= allowance) return false;
    let slot = 1;
    while (taken.has(slot)) slot++;
    try {
      const r = await db.updateTable('submissions').set({ quota_day: day, quota_slot: slot }).where('id', '=', id).where('quota_day', '=', row.quota_day).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  return false;
}
