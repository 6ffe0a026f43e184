import type { FastifyRequest } from 'fastify';
import type { StoredCompetition } from '../db/competitions-repo.js';
import type { SubmissionRow, UserRow } from '../db/schema.js';
import { HttpError, notFound } from './http-error.js';
import type { ServerDeps } from './server-deps.js';

export type RequestUser = UserRow & { token_id: string };

/** The signed-in user, or a 401 that says how to sign in. */
export function requireUser(req: FastifyRequest): RequestUser {
  if (!req.user) throw new HttpError(401, 'sign in first: send "Authorization: Bearer <token>" (POST /api/auth/login gives one) or sign in on the web page');
  return req.user;
}

export function requireAdmin(req: FastifyRequest): RequestUser {
  const user = requireUser(req);
  if (user.role !== 'admin') throw new HttpError(403, 'only an admin may do this');
  return user;
}

/** The competition named in the URL, or a 404 that names it. */
export async function competitionOr404(deps: Pick<ServerDeps, 'competitions'>, slug: string): Promise<StoredCompetition> {
  const c = await deps.competitions.bySlug(slug);
  if (!c) throw notFound(`competition "${slug}"`);
  return c;
}

/** The competition named in the URL, for one of its hosts (or an admin) only. */
export async function hostedCompetition(deps: ServerDeps, req: FastifyRequest, slug: string): Promise<{ c: StoredCompetition; host: RequestUser }> {
  const c = await competitionOr404(deps, slug);
  return { c, host: await requireHost(deps, req, c) };
}

/** True for an admin or a host of this competition. */
export async function isHostOf(deps: ServerDeps, user: UserRow | null, c: StoredCompetition): Promise<boolean> {
  if (!user) return false;
  return user.role === 'admin' || (await deps.roles.isHost(c.id, user.id));
}

export async function requireHost(deps: ServerDeps, req: FastifyRequest, c: StoredCompetition): Promise<RequestUser> {
  const user = requireUser(req);
  if (!(await isHostOf(deps, user, c))) throw new HttpError(403, `only a host of "${c.slug}" may do this`);
  return user;
}

/**
 * A submission the requester may see: their own, a teammate's, or any for a host or admin.
 * Anything else is reported as missing, not forbidden, so ids cannot be probed.
 */
export async function visibleSubmission(deps: ServerDeps, req: FastifyRequest, id: string): Promise<{ s: SubmissionRow; c: StoredCompetition; host: boolean }> {
  const user = requireUser(req);
  const s = await deps.submissions.get(id);
  const c = s && (await deps.competitions.byId(s.competition_id));
  if (!s || !c) throw notFound(`submission ${id}`);
  if (s.user_id === user.id) return { s, c, host: await isHostOf(deps, user, c) };
  if (await isHostOf(deps, user, c)) return { s, c, host: true };
  const [mine, theirs] = await Promise.all([deps.teams.teamOf(c.id, user.id), deps.teams.teamOf(c.id, s.user_id)]);
  if (mine && theirs && mine.id === theirs.id) return { s, c, host: false };
  throw notFound(`submission ${id}`);
}
