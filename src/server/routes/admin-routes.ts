import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { competitionOr404, hostedCompetition, requireAdmin } from '../access.js';
import { apiRoute } from '../api-route.js';
import { HttpError, notFound } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { slugParams } from './competition-routes.js';

export const adminRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'GET', url: '/admin/users', tag: 'admin', access: 'admin', summary: 'Every user with their role and the competitions they host',
    handler: async (req) => {
      requireAdmin(req);
      const users = await deps.db.selectFrom('users').select(['id', 'username', 'role', 'created_at']).orderBy('username').execute();
      const hosted = await deps.roles.hostedBy();
      return users.map((u) => ({ id: u.id, username: u.username, role: u.role, createdAt: u.created_at, hosts: hosted.get(u.id) ?? [] }));
    },
  });

  apiRoute(app, {
    method: 'PUT', url: '/admin/users/:username/role', tag: 'admin', access: 'admin',
    summary: 'Set a global role: participant, host (may create competitions) or admin',
    params: z.object({ username: z.string() }), body: z.object({ role: z.enum(['participant', 'host', 'admin']) }),
    handler: async (req, _reply, { params, body }) => {
      const admin = requireAdmin(req);
      const user = await deps.users.byName(params.username);
      if (!user) throw notFound(`user "${params.username}"`);
      if (user.id === admin.id && body.role !== 'admin') throw new HttpError(409, 'you cannot take away your own admin role; ask another admin');
      await deps.db.updateTable('users').set({ role: body.role }).where('id', '=', user.id).execute();
      return { username: user.username, role: body.role };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/hosts', tag: 'admin', access: 'host', summary: 'Who hosts a competition',
    params: slugParams,
    handler: async (req, _reply, { params }) => {
      const { c } = await hostedCompetition(deps, req, params.slug);
      return deps.roles.hosts(c.id);
    },
  });

  apiRoute(app, {
    method: 'PUT', url: '/competitions/:slug/hosts/:username', tag: 'admin', access: 'admin', summary: 'Make a user a host of a competition',
    params: z.object({ slug: z.string(), username: z.string() }),
    handler: async (req, _reply, { params }) => {
      requireAdmin(req);
      const c = await competitionOr404(deps, params.slug);
      const user = await deps.users.byName(params.username);
      if (!user) throw notFound(`user "${params.username}"`);
      await deps.roles.addHost(c.id, user.id);
      return { slug: c.slug, username: user.username };
    },
  });

  apiRoute(app, {
    method: 'DELETE', url: '/competitions/:slug/hosts/:username', tag: 'admin', access: 'admin', summary: 'Remove a host of a competition',
    params: z.object({ slug: z.string(), username: z.string() }),
    responses: { 204: { description: 'Removed' } },
    handler: async (req, reply, { params }) => {
      requireAdmin(req);
      const c = await competitionOr404(deps, params.slug);
      const user = await deps.users.byName(params.username);
      if (!user || !(await deps.roles.removeHost(c.id, user.id))) throw notFound(`host "${params.username}" of "${c.slug}"`);
      return reply.status(204).send();
    },
  });
};
