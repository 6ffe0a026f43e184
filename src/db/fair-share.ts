import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { DatabaseDialect } from './database-dialect.js';
import type { Database, SubmissionRow } from './schema.js';

/*
 * The fair-share order of queued submissions, as SQL over the candidate row ("submissions" in
 * the claim's candidate query; the subqueries' own rows are "r" and "c"). Counting in the query
 * keeps one claim one statement, whatever the queue's length, on SQLite and PostgreSQL alike.
 */

const inProgress = sql.raw(`('running', 'scoring')`);

/** Runs in progress of the candidate's competition, on every worker. */
const competitionRunning = sql<number>`(select count(*) from submissions r where r.competition_id = submissions.competition_id and r.status in ${inProgress})`;

/** Runs in progress of the candidate's participant, or of their team (its submissions share a quota owner). */
const entrantRunning = sql<number>`(select count(*) from submissions r where r.competition_id = submissions.competition_id and r.status in ${inProgress}
  and coalesce(r.quota_owner, r.user_id) = coalesce(submissions.quota_owner, submissions.user_id))`;

const setting = (column: 'sched_weight' | 'max_running' | 'max_running_per_entrant') =>
  sql`(select c.${sql.raw(column)} from competitions c where c.id = submissions.competition_id)`;

/** Larger than any count: a cap of null means none. */
const noCap = 2 ** 31 - 1;

/** The candidate's competition and entrant are under their caps of runs at once. */
export const underRunningCaps = (): Expression<SqlBool> =>
  sql<SqlBool>`(${competitionRunning} < coalesce(${setting('max_running')}, ${noCap}) and ${entrantRunning} < coalesce(${setting('max_running_per_entrant')}, ${noCap}))`;

/**
 * Orders queued candidates fairly: the competition with the fewest runs per unit of weight, then
 * participants' own runs before a host's re-runs, then the entrant with the fewest runs, then
 * the oldest. A flood from one entrant thus waits behind everyone else's first run.
 */
export const fairShareOrder = (): Expression<unknown>[] => [
  sql`(${competitionRunning} + 1.0) / ${setting('sched_weight')}`,
  sql`background`,
  entrantRunning,
  sql`created_at`,
];

/** What a claim rechecks once it holds the competition's lock: the runs now in progress. */
export async function runningNow(
  db: Kysely<Database>,
  row: { competition_id: string; user_id: string; quota_owner: string | null },
): Promise<{ competition: number; entrant: number }> {
  const owner = row.quota_owner ?? row.user_id;
  const r = await db
    .selectFrom('submissions')
    .select((q) => [
      q.fn.countAll<number>().as('competition'),
      q.fn.sum<number>(q.case().when(sql<string>`coalesce(quota_owner, user_id)`, '=', owner).then(1).else(0).end()).as('entrant'),
    ])
    .where('competition_id', '=', row.competition_id)
    .where('status', 'in', ['running', 'scoring'])
    .executeTakeFirstOrThrow();
  return { competition: Number(r.competition), entrant: Number(r.entrant ?? 0) };
}

/** A claim rolled back: its competition or entrant reached a cap meanwhile. */
export class OverCap extends Error {
  constructor(readonly id: string) {
    super(`submission ${id}: its competition or entrant is at its cap of runs at once`);
  }
}

/**
 * The candidate query counted runs in its own snapshot: two workers claiming at once could both
 * take a capped competition's last slot. Counted again under the competition's lock (claims of
 * one capped competition queue there); over a cap, the claim is rolled back.
 * @throws OverCap
 */
export async function checkCaps(dialect: Pick<DatabaseDialect, 'lockCompetition'>, trx: Kysely<Database>, row: SubmissionRow): Promise<void> {
  const caps = await dialect
    .lockCompetition(trx.selectFrom('competitions').select(['id', 'max_running', 'max_running_per_entrant']).where('id', '=', row.competition_id))
    .executeTakeFirst() as { max_running: number | null; max_running_per_entrant: number | null } | undefined;
  if (!caps || (caps.max_running === null && caps.max_running_per_entrant === null)) return;
  const running = await runningNow(trx, row);
  if (running.competition > (caps.max_running ?? Infinity) || running.entrant > (caps.max_running_per_entrant ?? Infinity)) throw new OverCap(row.id);
}
