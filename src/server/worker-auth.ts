import type { FastifyRequest } from 'fastify';
import { hashToken } from '../app/passwords.js';
import type { Lease } from '../db/submissions-repo.js';
import type { SubmissionRow } from '../db/schema.js';
import type { WorkerToken } from '../db/worker-tokens-repo.js';
import { HttpError, notFound } from './http-error.js';
import type { ServerDeps } from './server-deps.js';

/** Worker tokens start with this, so that the API tells them from users' tokens before any lookup. */
export const workerTokenPrefix = 'hwk_';

/** The worker token of the request, or a 401 that says what a worker needs. */
export async function requireWorkerToken(deps: ServerDeps, req: FastifyRequest): Promise<WorkerToken> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const token = match?.[1];
  if (!token?.startsWith(workerTokenPrefix)) throw new HttpError(401, 'the worker API needs a worker token ("Authorization: Bearer hwk_…"): a host creates one with POST /api/worker-tokens or "holdout worker-token create"');
  const found = await deps.workerTokens.byHash(hashToken(token));
  if (!found) throw new HttpError(401, 'the worker token is invalid or was revoked; ask the host for a new one');
  return found;
}

/**
 * The lease owner the database records for a worker of this token: the token's id before the
 * worker's own id, so that no token can renew, finish or hand back what another token's worker
 * holds, whatever worker id it sends.
 */
export function ownerOf(token: WorkerToken, workerId: string): string {
  return `${token.id}/${workerId}`;
}

/** The lease a request names, owned under its token. */
export function leaseOf(token: WorkerToken, body: { workerId: string; attempt: number }): Lease {
  return { owner: ownerOf(token, body.workerId), attempt: body.attempt };
}

/**
 * Ids of the competitions a worker serves: the token's, or those of `slugs` (`--competition`),
 * each of which must be the token's (403 otherwise).
 */
export async function servedCompetitionIds(deps: ServerDeps, token: WorkerToken, slugs?: readonly string[]): Promise<readonly string[]> {
  if (!slugs) return token.competitionIds;
  const ids: string[] = [];
  for (const slug of slugs) {
    const c = await deps.competitions.bySlug(slug);
    if (!c || !token.competitionIds.includes(c.id)) throw new HttpError(403, `worker token "${token.name}" does not serve competition "${slug}": ask a host of it for a token, or leave it out of --competition`, 'out_of_scope');
    ids.push(c.id);
  }
  return ids;
}

/** The submission, if its competition is in the token's scope: 404 when missing, 403 when another competition's. */
export async function scopedSubmission(deps: ServerDeps, token: WorkerToken, id: string): Promise<SubmissionRow> {
  const s = await deps.submissions.get(id);
  if (!s) throw notFound(`submission ${id}`);
  if (!token.competitionIds.includes(s.competition_id)) {
    const c = await deps.competitions.byId(s.competition_id);
    throw new HttpError(403, `worker token "${token.name}" serves other competitions than "${c?.slug ?? s.competition_id}", which submission ${id} belongs to`, 'out_of_scope');
  }
  return s;
}

/** True while a worker of this token holds the submission (running or scoring under its lease). */
export function heldByToken(token: WorkerToken, s: SubmissionRow): boolean {
  return (s.status === 'running' || s.status === 'scoring') && (s.lease_owner ?? '').startsWith(`${token.id}/`);
}

/** The refusal of a lease write that did not land: the worker does not hold that attempt. */
export function leaseNotHeld(s: SubmissionRow, lease: Lease): HttpError {
  return new HttpError(
    409,
    `worker ${lease.owner.slice(lease.owner.indexOf('/') + 1)} does not hold submission ${s.id} (attempt ${lease.attempt}): it is ${s.status}${s.attempts !== lease.attempt ? `, at attempt ${s.attempts}` : ''}, so another worker took it over or it has ended; nothing was recorded`,
    'lease_not_held',
  );
}
