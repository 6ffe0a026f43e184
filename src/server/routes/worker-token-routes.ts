import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { hashToken } from '../../app/passwords.js';
import { isHostOf, requireUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import { HttpError, notFound } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { workerTokenPrefix } from '../worker-auth.js';

const tokenSchema = z.object({ id: z.string(), name: z.string(), competitions: z.array(z.string()), createdAt: z.string() });

/**
 * Worker tokens: a host lets an outbound-only worker (`holdout worker --server URL --token T`)
 * serve the queues of competitions they host, and nothing else. Such a worker scores on its own
 * machine, so it reads those competitions' labels: only a host of every listed competition (or an
 * admin) may create one.
 */
export const workerTokenRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  const slugsOf = async (ids: readonly string[]) => Promise.all(ids.map(async (id) => (await deps.competitions.byId(id))?.slug ?? id));

  apiRoute(app, {
    method: 'POST', url: '/worker-tokens', tag: 'workers', access: 'host', summary: 'Create a worker token for competitions you host',
    description: 'The token is shown once. A worker with it claims, runs and scores submissions of these competitions only, over this API; it holds no database or blob-store credentials.',
    body: z.object({ name: z.string().trim().min(1).max(100), competitions: z.array(z.string()).min(1, 'name at least one competition (its slug)').max(50) }),
    responses: { 201: { description: 'The token', schema: tokenSchema.extend({ token: z.string() }) } },
    handler: async (req, reply, { body }) => {
      const user = requireUser(req);
      const ids: string[] = [];
      for (const slug of new Set(body.competitions)) {
        const c = await deps.competitions.bySlug(slug);
        if (!c) throw notFound(`competition "${slug}"`);
        if (!(await isHostOf(deps, user, c))) throw new HttpError(403, `only a host of "${slug}" may let a worker serve it (its workers read its labels)`);
        ids.push(c.id);
      }
      const token = `${workerTokenPrefix}${randomBytes(24).toString('base64url')}`;
      const created = await deps.workerTokens.add({ id: randomUUID(), hash: hashToken(token), name: body.name, createdBy: user.id, competitionIds: ids });
      reply.status(201);
      return { id: created.id, name: created.name, competitions: await slugsOf(ids), createdAt: created.createdAt, token };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/worker-tokens', tag: 'workers', access: 'user', summary: 'Worker tokens you created',
    responses: { 200: { description: 'Tokens (never the secret)', schema: z.array(tokenSchema) } },
    handler: async (req) => {
      const user = requireUser(req);
      const tokens = await deps.workerTokens.listBy(user.id);
      return Promise.all(tokens.map(async (t) => ({ id: t.id, name: t.name, competitions: await slugsOf(t.competitionIds), createdAt: t.createdAt })));
    },
  });

  apiRoute(app, {
    method: 'DELETE', url: '/worker-tokens/:id', tag: 'workers', access: 'user', summary: 'Revoke a worker token',
    description: 'Its workers are refused from their next call on; what they hold runs out with its lease and is retried by another worker.',
    params: z.object({ id: z.string() }),
    handler: async (req, reply, { params }) => {
      const user = requireUser(req);
      if (!(await deps.workerTokens.delete(user.id, params.id))) throw notFound(`worker token ${params.id}`);
      return reply.status(204).send();
    },
  });
};
