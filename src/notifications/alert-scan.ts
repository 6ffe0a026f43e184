import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import type { OutboxRepo } from './outbox-repo.js';

export interface AlertThresholds {
  /** A queue whose oldest submission waits longer than this, while workers are alive, is stalled. */
  queueStallMs: number;
  /** A worker unseen for longer than this is lost (the lease length). */
  lostAfterMs: number;
  /** How far back attempt messages are read for storage errors (a few scan periods). */
  lookBackMs: number;
}

/** Messages of the platform's own storage failures: a full or broken disk, a blob store that refused. */
const storageError = /\b(ENOSPC|EDQUOT|EIO|EROFS)\b|no space left|blob store|BlobStore|RestError|S3ServiceException|NoSuchKey/i;

const iso = (ms: number): string => new Date(ms).toISOString();
const day = 86_400_000;

/**
 * Looks at the database (every worker writes there) for what hosts must hear about, and raises
 * each at most once per window: a stalled queue, a lost worker holding a run, a storage error.
 * @returns how many alerts it raised
 */
export async function scanForAlerts(db: Kysely<Database>, outbox: OutboxRepo, t: AlertThresholds, logger: Logger, now = Date.now()): Promise<number> {
  let raised = 0;
  const raise = async (a: Parameters<OutboxRepo['raiseAlert']>[0]) => {
    if (await outbox.raiseAlert(a, now)) {
      raised++;
      logger.warn({ alert: a.kind, competition: a.competitionId }, a.message);
    }
  };
  const alive = await db.selectFrom('workers').select('id').where('seen_at', '>', iso(now - t.lostAfterMs)).where('draining', '=', 0).execute();
  if (alive.length > 0) {
    const stalled = await db
      .selectFrom('submissions')
      .select(['competition_id', (eb) => eb.fn.min('created_at').as('oldest'), (eb) => eb.fn.countAll<number>().as('waiting')])
      .where('status', '=', 'queued')
      .groupBy('competition_id')
      .having((eb) => eb.fn.min('created_at'), '<', iso(now - t.queueStallMs))
      .execute();
    for (const q of stalled) {
      const minutes = Math.round((now - Date.parse(String(q.oldest))) / 60_000);
      const message = `the queue does not move: ${Number(q.waiting)} submission(s) queued, the oldest for ${minutes} min, while ${alive.length} worker(s) are registered (do they fit its limits and runtime?)`;
      await raise({ kind: 'queue_stalled', competitionId: q.competition_id, message, dedupeKey: `queue_stalled:${q.competition_id}`, windowMs: t.queueStallMs });
    }
  }
  const lost = await db
    .selectFrom('submissions')
    .innerJoin('workers', 'workers.id', 'submissions.lease_owner')
    .select(['submissions.competition_id', 'workers.id as worker', 'workers.hostname', 'workers.seen_at', (eb) => eb.fn.countAll<number>().as('runs')])
    .where('submissions.status', 'in', ['running', 'scoring'])
    .where('workers.seen_at', '<', iso(now - t.lostAfterMs))
    .groupBy(['submissions.competition_id', 'workers.id', 'workers.hostname', 'workers.seen_at'])
    .execute();
  for (const w of lost) {
    const message = `worker ${w.worker} on ${w.hostname} was lost (no heartbeat since ${w.seen_at}) holding ${Number(w.runs)} run(s); they go back to the queue when the lease runs out, without using quota`;
    await raise({ kind: 'worker_lost', competitionId: w.competition_id, message, dedupeKey: `worker_lost:${w.worker}:${w.competition_id}`, windowMs: day });
  }
  const failures = await db
    .selectFrom('submission_attempts')
    .innerJoin('submissions', 'submissions.id', 'submission_attempts.submission_id')
    .select(['submission_attempts.id', 'submission_attempts.message', 'submission_attempts.worker_id', 'submissions.competition_id', 'submissions.id as submission'])
    .where('submission_attempts.outcome', 'in', ['requeued', 'failed'])
    .where('submission_attempts.ended_at', '>', iso(now - t.lookBackMs))
    .execute();
  for (const f of failures) {
    if (!f.message || !storageError.test(f.message)) continue;
    const message = `a storage error during a run of submission ${f.submission} on worker ${f.worker_id}: ${f.message.slice(0, 300)}`;
    await raise({ kind: 'storage_error', competitionId: f.competition_id, message, dedupeKey: `storage_error:${f.id}`, windowMs: day });
  }
  return raised;
}
