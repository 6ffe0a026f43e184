import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { StoredCompetition } from '../../db/competitions-repo.js';
import { TeamConflictError } from '../../db/teams-repo.js';
import { quotaDay } from '../../domain/phases.js';
import { competitionOr404, requireUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import { HttpError, notFound } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { slugParams } from './competition-routes.js';

/**
 * A team shares one quota and one leaderboard entry, so changing teams mid-day would let a
 * participant spend two quotas: a change is refused on a UTC day they have submitted.
 */
async function refuseIfSubmittedToday(deps: ServerDeps, c: StoredCompetition, userId: string): Promise<void> {
  const day = quotaDay(new Date());
  if ((await deps.quota.countedBy(c.id, userId, [day, `${day}:smoke`])) > 0)
    throw new HttpError(409, 'you have submitted today; you can create, join or leave a team from tomorrow (UTC)', 'team_change_today');
}

const conflict = (err: unknown) => (err instanceof TeamConflictError ? new HttpError(409, err.message, 'team_conflict') : err);

export const teamRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/team', tag: 'teams', access: 'user', summary: 'My team in this competition, with its members and invite code (or null)',
    params: slugParams,
    handler: async (req, _reply, { params }) => {
      const user = requireUser(req);
      const c = await competitionOr404(deps, params.slug);
      const team = await deps.teams.teamOf(c.id, user.id);
      if (!team) return { team: null };
      const t = await deps.teams.withMembers(team);
      return { team: { id: t.id, name: t.name, inviteCode: t.invite_code, createdAt: t.created_at, members: t.members } };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/teams', tag: 'teams', access: 'anyone', summary: 'Teams of a competition and their sizes',
    params: slugParams,
    handler: async (_req, _reply, { params }) => {
      const c = await competitionOr404(deps, params.slug);
      const teams = await deps.teams.list(c.id);
      return Promise.all(teams.map(async (t) => ({ id: t.id, name: t.name, members: (await deps.teams.withMembers(t)).members.map((m) => m.username) })));
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/competitions/:slug/teams', tag: 'teams', access: 'user', summary: 'Create a team (you become its first member)',
    params: slugParams, body: z.object({ name: z.string().trim().min(2, 'use at least 2 characters').max(60, 'use at most 60 characters') }),
    handler: async (req, reply, { params, body }) => {
      const user = requireUser(req);
      const c = await competitionOr404(deps, params.slug);
      await refuseIfSubmittedToday(deps, c, user.id);
      const team = await deps.teams.create(c.id, body.name, user.id).catch((err: unknown) => Promise.reject(conflict(err)));
      return reply.status(201).send({ id: team.id, name: team.name, inviteCode: team.invite_code });
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/teams/invites/:code', tag: 'teams', access: 'anyone', summary: 'The team and competition an invite code is for',
    description: 'Open to anyone holding the code (the link is the secret), so that a page opened signed out can name the team before sign-up.',
    params: z.object({ code: z.string().max(100) }),
    handler: async (_req, _reply, { params }) => {
      const team = await deps.teams.byInvite(params.code);
      const c = team && (await deps.competitions.byId(team.competition_id));
      if (!team || !c) throw notFound('invite (it may have been revoked with its team)');
      return { team: { id: team.id, name: team.name }, competition: { slug: c.slug, title: c.config.title } };
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/teams/invites/:code/join', tag: 'teams', access: 'user', summary: 'Join the team of an invite link',
    params: z.object({ code: z.string().max(100) }),
    handler: async (req, _reply, { params }) => {
      const user = requireUser(req);
      const team = await deps.teams.byInvite(params.code);
      const c = team && (await deps.competitions.byId(team.competition_id));
      if (!team || !c) throw notFound('invite');
      await refuseIfSubmittedToday(deps, c, user.id);
      await deps.teams.join(team, user.id).catch((err: unknown) => Promise.reject(conflict(err)));
      return { team: { id: team.id, name: team.name }, competition: { slug: c.slug } };
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/competitions/:slug/team/leave', tag: 'teams', access: 'user', summary: 'Leave my team (the last member leaving deletes it)',
    params: slugParams,
    responses: { 204: { description: 'Left' } },
    handler: async (req, reply, { params }) => {
      const user = requireUser(req);
      const c = await competitionOr404(deps, params.slug);
      const team = await deps.teams.teamOf(c.id, user.id);
      if (!team) throw notFound('your team in this competition');
      await refuseIfSubmittedToday(deps, c, user.id);
      await deps.teams.leave(team, user.id);
      return reply.status(204).send();
    },
  });
};
