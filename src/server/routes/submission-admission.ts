import type { FastifyReply } from 'fastify';
import type { StoredCompetition } from '../../db/competitions-repo.js';
import type { QuotaOwner, QuotaRepo } from '../../db/quota-repo.js';
import type { Phase } from '../../domain/competition.js';
import { budgetRefusal } from '../../domain/compute-budget.js';
import { budgetWeekStart, currentPhase, quotaDay } from '../../domain/phases.js';
import type { SubmissionKind } from '../../domain/submission.js';
import type { RequestUser } from '../access.js';
import { HttpError } from '../http-error.js';
import { quotaReset } from '../quota-reset.js';
import type { ServerDeps } from '../server-deps.js';

/** Who may submit what now, decided before a byte of the upload is stored. */
export interface Admission {
  phase: Phase;
  owner: QuotaOwner;
  /** The quota day the submission counts on (smoke runs have their own). */
  day: string;
  /** The 429 to throw when the quota is used up, with Retry-After set on `reply`. */
  quotaError: () => HttpError;
  /** The 429 to throw when the phase's total quota is used up (no Retry-After: it never comes back). */
  totalError: () => HttpError;
  /** Whether the owner is past the phase's total: re-counted after the insert, to take a racing extra one back. */
  overTotal: () => Promise<boolean>;
  /** The phase takes result files (predictions), not code to run. */
  results: boolean;
}

/**
 * Refuses a submission that may not be made now (disqualified, rules not accepted, no open phase,
 * daily or total quota used up, weekly compute budget spent) with the reason; the daily quota is
 * checked again, atomically, when the row is inserted, and the total just after.
 */
export async function admitSubmission(deps: ServerDeps, user: RequestUser, c: StoredCompetition, kind: SubmissionKind, reply: FastifyReply, now = new Date()): Promise<Admission> {
  const dq = await deps.roles.disqualification(c.id, user.id);
  if (dq) throw new HttpError(403, `you are disqualified from "${c.config.title}": ${dq.reason}`, 'disqualified');
  if (!(await deps.roles.acceptedRulesAt(c.id, user.id)))
    throw new HttpError(403, `accept the rules of "${c.config.title}" first (on its page, or POST /api/competitions/${c.slug}/rules)`, 'rules_not_accepted');
  const phase = currentPhase(c.config.phases, now);
  if (!phase) throw new HttpError(409, `"${c.config.title}" is not open for submissions now; see its phases for the dates`, 'not_open');
  if (kind === 'smoke' && !c.config.data.smoke) throw new HttpError(400, 'this competition has no smoke sample; submit a full run');
  const team = await deps.teams.teamOf(c.id, user.id);
  const owner = { userId: user.id, teamId: team?.id };
  // Smoke runs have their own daily allowance so that testing never costs a real submission.
  const day = kind === 'smoke' ? `${quotaDay(now)}:smoke` : quotaDay(now);
  const whose = team ? `your team "${team.name}" has` : 'you have';
  const quotaError = () => {
    // Retry-After and the time in words: a script waits exactly as long, a person knows when.
    const reset = quotaReset(new Date());
    reply.header('retry-after', String(reset.seconds));
    return new HttpError(429, `${whose} used all ${phase.dailyQuota} ${kind} submissions of today in phase "${phase.name}"; the quota resets ${reset.words}`, 'quota_exceeded', { resetsAt: reset.at });
  };
  // Checked before the upload so nobody streams 500 MB to hear "no".
  if ((await deps.quota.usedToday(c.id, owner, phase.name, day)) >= phase.dailyQuota) throw quotaError();
  if (phase.weeklyBudget) {
    const refusal = budgetRefusal(await deps.quota.computeSince(c.id, owner, budgetWeekStart(now).toISOString()), phase.weeklyBudget);
    if (refusal) {
      const resetsAt = new Date(budgetWeekStart(now).getTime() + 7 * 86400_000);
      reply.header('retry-after', String(Math.ceil((resetsAt.getTime() - Date.now()) / 1000)));
      throw new HttpError(429, `${whose} ${refusal} in phase "${phase.name}"; the budget resets ${resetsAt.toISOString()} (Monday 00:00 UTC)`, 'budget_exceeded', { resetsAt: resetsAt.toISOString() });
    }
  }
  const totalError = () => new HttpError(429, `${whose} used all ${phase.totalQuota ?? 0} submissions of phase "${phase.name}"; it allows no more`, 'quota_exceeded');
  const usedInPhase = async () => (kind === 'full' && phase.totalQuota !== undefined ? deps.quota.usedInPhase(c.id, owner, phase.name) : 0);
  if (phase.totalQuota !== undefined && (await usedInPhase()) >= phase.totalQuota) throw totalError();
  const overTotal = async () => phase.totalQuota !== undefined && (await usedInPhase()) > phase.totalQuota;
  return { phase, owner, day, quotaError, totalError, overTotal, results: phase.submission === 'results' };
}

/** The queued submission row for a zip stored at `zipKey`. */
export function queuedRow(id: string, c: StoredCompetition, user: RequestUser, kind: SubmissionKind, a: Admission, zip: { key: string; bytes: number; sha256?: string }, now: Date): Parameters<QuotaRepo['insertWithinQuota']>[0] {
  return {
    id, competition_id: c.id, user_id: user.id, phase: a.phase.name, kind, status: 'queued', reason: null, message: null,
    zip_key: zip.key, zip_bytes: zip.bytes, zip_sha256: zip.sha256 ?? null, created_at: now.toISOString(), started_at: null, finished_at: null,
    run_ms: null, exit_code: null, public_scores: null, private_scores: null, public_primary: null, private_primary: null,
    log_key: null, log_bytes: null, lease_owner: null, lease_expires_at: null, quota_day: a.day,
  };
}
