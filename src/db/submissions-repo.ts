import { randomUUID } from 'node:crypto';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction, type UpdateObject, sql } from 'kysely';
import type { ResourceUsage } from '../domain/resource-usage.js';
import type { FailureReason } from '../domain/submission.js';
import type { DatabaseDialect } from './database-dialect.js';
import { isUniqueViolation, QuotaExceededError } from './db-errors.js';
import { fitsWorker, type WorkerFit } from './claim-fit.js';
import { useFailedAllowance } from './failed-allowance.js';
import { checkCaps, fairShareOrder, OverCap, underRunningCaps } from './fair-share.js';
import { usageColumns } from './usage-columns.js';
import type { AttemptOutcome, AttemptRow, Database, NewSubmission, SubmissionRow } from './schema.js';

export { usageColumns, usageOf } from './usage-columns.js';

/** What a finished attempt records; any field left out stays as it is. */
export interface SubmissionResult {
  status: 'scored' | 'failed' | 'cancelled';
  reason?: FailureReason | null;
  message?: string | null;
  runMs?: number | null;
  exitCode?: number | null;
  publicScores?: Record<string, number> | null;
  privateScores?: Record<string, number> | null;
  publicPrimary?: number | null;
  privatePrimary?: number | null;
  logKey?: string | null;
  logBytes?: number | null;
  logTruncated?: boolean;
  /** What the score was computed from (see SubmissionsTable); absent: unchanged. */
  provenance?: { testDataDigest: string | null; bundleDigest: string; scorerVersion: string };
  /** What the run used; absent: unchanged (a re-score keeps its run's figures). */
  usage?: ResourceUsage;
  /**
   * The runtime the code ran in (name, and image ID and reference when it is an image); absent:
   * unchanged (a re-score).
   */
  runtime?: { name: string; digest: string | null; image?: string | null };
}

/** What a worker can take: a submission is claimed only if its phase's run fits (see `fitsWorker`). */
export interface ClaimFilter extends WorkerFit {
  /** Ids of the competitions whose queues the worker serves (a worker token's scope); undefined: all. */
  competitions?: readonly string[];
}

/**
 * A worker's hold on one claim of a submission: the worker and the claim's attempt number. Writes
 * under a lease check both, so that a late write of an earlier claim (one retried across a
 * database outage, say) never lands on a later claim, even one by the same worker.
 */
export interface Lease {
  owner: string;
  attempt: number;
}

/** See the `onEnded` parameter of {@link SubmissionsRepo}. */
export type RunEndedHook = (trx: Transaction<Database>, submissionId: string) => Promise<void>;

type Claimable = (eb: ExpressionBuilder<Database, 'submissions'>) => Expression<SqlBool>;
type SubmissionChanges = UpdateObject<Database, 'submissions'>;

const iso = (ms: number): string => new Date(ms).toISOString();

/** The submission `id` while `lease` holds it in one of `statuses`. */
const held =
  (id: string, lease: Lease, statuses: SubmissionRow['status'][]): Claimable =>
  (eb) =>
    eb.and([eb('id', '=', id), eb('lease_owner', '=', lease.owner), eb('attempts', '=', lease.attempt), eb('status', 'in', statuses)]);

export class SubmissionsRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Pick<DatabaseDialect, 'lockClaimCandidate' | 'lockCompetition'>,
    /**
     * Called inside the transaction that records a run's final status, so that what it writes
     * (the notification outbox) exists exactly when the result does. Must not call the network.
     */
    private readonly onEnded?: RunEndedHook,
  ) {}

  /**
   * Inserts a queued submission in the lowest free quota slot of its day. The unique index on the
   * slot makes two racing uploads collide instead of both passing the count; the loser retries.
   * @throws QuotaExceededError
   */
  async insertWithinQuota(row: Omit<NewSubmission, 'quota_slot'>, quota: number): Promise<SubmissionRow> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const used = await this.db
        .selectFrom('submissions')
        .select('quota_slot')
        .where('competition_id', '=', row.competition_id)
        .where('user_id', '=', row.user_id)
        .where('phase', '=', row.phase)
        .where('quota_day', '=', row.quota_day)
        .execute();
      const taken = new Set(used.map((r) => r.quota_slot));
      let slot = 1;
      while (taken.has(slot)) slot++;
      if (slot > quota) throw new QuotaExceededError(quota);
      try {
        return await this.db.insertInto('submissions').values({ ...row, quota_slot: slot }).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new Error('could not find a free quota slot after 20 attempts');
  }

  /** How many submissions count against today's quota. */
  async usedToday(competitionId: string, userId: string, phase: string, day: string): Promise<number> {
    const r = await this.db
      .selectFrom('submissions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('competition_id', '=', competitionId)
      .where('user_id', '=', userId)
      .where('phase', '=', phase)
      .where('quota_day', '=', day)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  get(id: string): Promise<SubmissionRow | undefined> {
    return this.db.selectFrom('submissions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listForUser(competitionId: string, userId: string): Promise<SubmissionRow[]> {
    return this.db
      .selectFrom('submissions')
      .selectAll()
      .where('competition_id', '=', competitionId)
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .execute();
  }

  /**
   * Takes a submission for `owner`: first one whose worker's lease ran out (it has waited
   * longest), else the oldest queued one; only among competitions that fit `filter`. Records the
   * attempt, and marks an earlier attempt that never reported as lost.
   */
  async claim(owner: string, leaseMs: number, filter: ClaimFilter = {}, now = Date.now()): Promise<SubmissionRow | undefined> {
    if (filter.runtimes?.length === 0 || filter.competitions?.length === 0) return undefined;
    const nowIso = iso(now);
    const expired: Claimable = (eb) => eb.and([eb('status', 'in', ['running', 'scoring']), eb('lease_expires_at', '<', nowIso)]);
    const expiredFirst = await this.claimOne(owner, leaseMs, expired, filter, now, 'oldest');
    if (expiredFirst && !(expiredFirst instanceof OverCap)) return expiredFirst;
    // A claim that lost a race for a capped competition's last slot tries the next candidate.
    const passed: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const queued: Claimable = (eb) => eb.and([eb('status', '=', 'queued'), ...(passed.length ? [eb('id', 'not in', passed)] : [])]);
      const claimed = await this.claimOne(owner, leaseMs, queued, filter, now, 'fair');
      if (!(claimed instanceof OverCap)) return claimed;
      passed.push(claimed.id);
    }
    return undefined;
  }

  private claimOne(
    owner: string,
    leaseMs: number,
    claimable: Claimable,
    filter: ClaimFilter,
    now: number,
    order: 'oldest' | 'fair',
  ): Promise<SubmissionRow | undefined | OverCap> {
    const nowIso = iso(now);
    return this.db
      .transaction()
      .execute(async (trx) => {
        let candidate = trx.selectFrom('submissions').select('id').where(claimable).limit(1);
        // Expired leases go oldest first (they have waited longest); queued ones by fair share, within the caps.
        if (order === 'oldest') candidate = candidate.orderBy('created_at');
        else {
          candidate = candidate.where(underRunningCaps());
          for (const key of fairShareOrder()) candidate = candidate.orderBy(key);
        }
        const { competitions, ...fit } = filter;
        if (competitions) candidate = candidate.where('competition_id', 'in', [...competitions]);
        // By the needs of the submission's phase, which may differ from the competition's.
        if (fit.free || fit.runtimes || fit.harness === false) candidate = candidate.where(fitsWorker(fit));
        const row = await trx
          .updateTable('submissions')
          .set((eb) => ({
            status: 'running',
            lease_owner: owner,
            lease_expires_at: iso(now + leaseMs),
            started_at: nowIso,
            attempts: eb('attempts', '+', 1),
          }))
          .where('id', '=', this.dialect.lockClaimCandidate(candidate))
          // Checked again on the row itself, so the claim never depends on the candidate's snapshot.
          .where(claimable)
          .returningAll()
          .executeTakeFirst();
        if (!row) return undefined;
        if (order === 'fair') await checkCaps(this.dialect, trx, row);
        await trx
          .updateTable('submission_attempts')
          .set({ outcome: 'lost', ended_at: nowIso, message: 'the worker stopped renewing its lease' })
          .where('submission_id', '=', row.id)
          .where('outcome', 'is', null)
          .execute();
        await trx
          .insertInto('submission_attempts')
          .values({ id: randomUUID(), submission_id: row.id, attempt: row.attempts, worker_id: owner, claimed_at: nowIso, ended_at: null, outcome: null, message: null })
          .execute();
        return row;
      })
      .catch((err: unknown) => {
        if (err instanceof OverCap) return err;
        throw err;
      });
  }

  /** Extends the lease; false when another worker has taken the submission meanwhile. */
  async renewLease(id: string, lease: Lease, leaseMs: number): Promise<boolean> {
    const r = await this.db
      .updateTable('submissions')
      .set({ lease_expires_at: iso(Date.now() + leaseMs) })
      .where(held(id, lease, ['running', 'scoring']))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async markScoring(id: string, lease: Lease): Promise<boolean> {
    const r = await this.db
      .updateTable('submissions')
      .set({ status: 'scoring' })
      .where(held(id, lease, ['running']))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Puts a submission back in the queue after an infrastructure failure, for another attempt. */
  requeue(id: string, lease: Lease, message: string): Promise<boolean> {
    return this.release(id, lease, 'requeued', message, { status: 'queued', lease_owner: null, lease_expires_at: null, message });
  }

  /**
   * Gives a submission back untouched (its worker is shutting down): queued again, and this
   * attempt does not count towards the attempt limit.
   */
  handBack(id: string, lease: Lease, message = 'handed back by a worker that shut down'): Promise<boolean> {
    return this.release(id, lease, 'handed_back', message, {
      status: 'queued',
      lease_owner: null,
      lease_expires_at: null,
      attempts: sql<number>`attempts - 1`,
    });
  }

  /**
   * Records the end of an attempt, only while `owner` still holds the lease: a worker that lost
   * its lease can never overwrite the result of the one that took over, and recording twice is a
   * no-op (idempotent recording). True when this call recorded it.
   */
  async finish(id: string, lease: Lease, result: SubmissionResult): Promise<boolean> {
    const recorded = await this.record(id, lease, result);
    // A competition may give runs its participants' code failed an allowance of their own.
    if (recorded && result.status === 'failed' && result.reason !== 'infrastructure') {
      const row = await this.db
        .selectFrom('submissions')
        .innerJoin('competitions', 'competitions.id', 'submissions.competition_id')
        .select(['competitions.config_json', 'submissions.phase'])
        .where('submissions.id', '=', id)
        .executeTakeFirst();
      const phases = row ? (JSON.parse(row.config_json) as { phases?: { name: string; failedQuota?: number }[] }).phases : undefined;
      const allowance = phases?.find((p) => p.name === row?.phase)?.failedQuota;
      if (allowance) await this.useFailedAllowance(id, allowance);
    }
    return recorded;
  }

  private record(id: string, lease: Lease, result: SubmissionResult): Promise<boolean> {
    const json = (v: Record<string, number> | null | undefined) => (v ? JSON.stringify(v) : null);
    return this.release(id, lease, result.status, result.message ?? null, {
      status: result.status,
      reason: result.reason ?? null,
      message: result.message ?? null,
      finished_at: iso(Date.now()),
      run_ms: result.runMs ?? null,
      exit_code: result.exitCode ?? null,
      public_scores: json(result.publicScores),
      private_scores: json(result.privateScores),
      public_primary: result.publicPrimary ?? null,
      private_primary: result.privatePrimary ?? null,
      log_key: result.logKey ?? null,
      log_bytes: result.logBytes ?? null,
      log_truncated: result.logTruncated ? 1 : 0,
      ...(result.usage ? usageColumns(result.usage) : {}),
      ...(result.provenance
        ? { test_data_digest: result.provenance.testDataDigest, bundle_digest: result.provenance.bundleDigest, scorer_version: result.provenance.scorerVersion }
        : {}),
      ...(result.runtime ? { runtime: result.runtime.name, runtime_digest: result.runtime.digest, runtime_image: result.runtime.image ?? null } : {}),
      rescore: 0,
      lease_owner: null,
      lease_expires_at: null,
      // A failure of ours must not cost the participant a submission: free the quota slot.
      ...(result.reason === 'infrastructure' ? { quota_day: `void:${id}` } : {}),
    });
  }

  /** Ends the lease's attempt with `outcome`, applying `changes` to the submission while the lease holds. */
  private release(id: string, lease: Lease, outcome: AttemptOutcome, message: string | null, changes: SubmissionChanges): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('submissions').set(changes).where(held(id, lease, ['running', 'scoring'])).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await trx
        .updateTable('submission_attempts')
        .set({ outcome, message, ended_at: iso(Date.now()) })
        .where('submission_id', '=', id)
        .where('attempt', '=', lease.attempt)
        .where('worker_id', '=', lease.owner)
        .where('outcome', 'is', null)
        .execute();
      if (outcome === 'scored' || outcome === 'failed' || outcome === 'cancelled') await this.onEnded?.(trx, id);
      return true;
    });
  }

  /**
   * Ends as `infrastructure` failures the submissions still queued that were created before
   * `createdBefore` (no worker could take them in time), freeing their quota slots.
   * Idempotent; returns the ids it ended.
   */
  async expireQueued(createdBefore: string, message: string, now = Date.now()): Promise<string[]> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('submissions')
        .set({ status: 'failed', reason: 'infrastructure', message, finished_at: iso(now), quota_day: sql<string>`'void:' || id` })
        .where('status', '=', 'queued')
        .where('created_at', '<', createdBefore)
        .returning('id')
        .execute();
      // Ended by no worker, but told like every other end (the same outbox, the same transaction).
      for (const r of rows) await this.onEnded?.(trx, r.id);
      return rows.map((r) => r.id);
    });
  }

  /** See `useFailedAllowance` in failed-allowance.ts. */
  useFailedAllowance(id: string, allowance: number): Promise<boolean> {
    return useFailedAllowance(this.db, id, allowance);
  }

  /** Every attempt at a submission, oldest first. */
  attemptsOf(submissionId: string): Promise<AttemptRow[]> {
    return this.db.selectFrom('submission_attempts').selectAll().where('submission_id', '=', submissionId).orderBy('claimed_at').orderBy('attempt').execute();
  }

  /** Every scored full run of a competition with its participant's name, for the leaderboard. */
  scoredForBoard(competitionId: string) {
    return this.db
      .selectFrom('submissions')
      .innerJoin('users', 'users.id', 'submissions.user_id')
      .select([
        'submissions.id',
        'submissions.user_id',
        'users.username',
        'submissions.public_primary',
        'submissions.private_primary',
        'submissions.public_scores',
        'submissions.private_scores',
        'submissions.created_at',
      ])
      .where('submissions.competition_id', '=', competitionId)
      .where('submissions.kind', '=', 'full')
      .where('submissions.status', '=', 'scored')
      .execute();
  }

  async deleteRow(id: string): Promise<void> {
    await this.db.deleteFrom('submissions').where('id', '=', id).execute();
  }
}
