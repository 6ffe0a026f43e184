import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import type { UserRow } from '../db/schema.js';
import { hashToken } from '../app/passwords.js';
import { HttpError } from './http-error.js';
import { accountRoutes } from './routes/account-routes.js';
import { competitionRoutes } from './routes/competition-routes.js';
import { submissionEvents } from './routes/submission-events.js';
import { submissionRoutes } from './routes/submission-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user, or null for an anonymous request. */
    user: (UserRow & { token_id: string }) | null;
  }
}

/** The signed-in user, or a 401 that says how to sign in. */
export function requireUser(req: FastifyRequest): UserRow & { token_id: string } {
  if (!req.user) throw new HttpError(401, 'sign in first: send "Authorization: Bearer <token>" (POST /api/auth/login gives one)');
  return req.user;
}

export function requireAdmin(req: FastifyRequest): UserRow {
  const user = requireUser(req);
  if (user.role !== 'admin') throw new HttpError(403, 'only an admin may do this');
  return user;
}

/** The HTTP API on one Fastify instance; errors always leave as JSON `{ error, message }`. */
export async function buildServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: ctx.logger as FastifyBaseLogger, bodyLimit: 1 << 20 });
  await app.register(multipart, { limits: { files: 1, fields: 10, fileSize: ctx.config.maxUploadBytes } });

  app.decorateRequest('user', null);
  app.addHook('onRequest', async (req) => {
    const header = req.headers.authorization;
    if (!header) return;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const user = match?.[1] ? await ctx.users.byTokenHash(hashToken(match[1])) : undefined;
    if (!user) throw new HttpError(401, 'the token is invalid or expired; log in again or create a new API token');
    req.user = user;
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.status).send({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
    }
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE') {
      return reply.status(413).send({ error: 'payload_too_large', message: `the file is larger than the limit of ${ctx.config.maxUploadBytes} bytes` });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(e.statusCode).send({ error: e.code ?? 'bad_request', message: e.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: 'internal', message: 'something went wrong on our side; it has been logged' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` }),
  );

  app.get('/healthz', async () => ({ ok: true }));
  await app.register(accountRoutes(ctx), { prefix: '/api' });
  await app.register(competitionRoutes(ctx), { prefix: '/api' });
  await app.register(submissionRoutes(ctx), { prefix: '/api' });
  await app.register(submissionEvents(ctx), { prefix: '/api' });
  return app;
}
