import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { carryOpenedPhases } from '../app/carry-selections.js';
import type { AppContext } from '../app/context.js';
import { hashToken } from '../app/passwords.js';
import { isTransientDbError } from '../db/db-errors.js';
import type { RequestUser } from './access.js';
import type { RegisteredRoute } from './api-route.js';
import { frameworkError } from './framework-errors.js';
import { HttpError } from './http-error.js';
import type { LoginLimits } from './login-limiter.js';
import { accountRoutes } from './routes/account-routes.js';
import { adminRoutes } from './routes/admin-routes.js';
import { competitionRoutes } from './routes/competition-routes.js';
import { determinismRoutes } from './routes/determinism-routes.js';
import { hostRoutes } from './routes/host-routes.js';
import { notificationRoutes } from './routes/notification-routes.js';
import { userEvents } from './routes/user-events.js';
import { workerCheckRoutes } from './routes/worker-check-routes.js';
import { leaderboardRoutes } from './routes/leaderboard-routes.js';
import { openApiRoutes } from './routes/openapi-routes.js';
import { readiness } from './readiness.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { submissionEvents } from './routes/submission-events.js';
import { submissionRoutes } from './routes/submission-routes.js';
import { teamRoutes } from './routes/team-routes.js';
import { sweepUploads, tusRoutes } from './resumable/tus-routes.js';
import { workerBlobRoutes } from './routes/worker-blob-routes.js';
import { workerRoutes } from './routes/worker-routes.js';
import { workerTokenRoutes } from './routes/worker-token-routes.js';
import { serverDeps } from './server-deps.js';
import { checkCsrf, readCookies, SESSION_COOKIE } from './session-cookies.js';
import { gateUploadSize } from './upload-size-gate.js';
import { workerTokenPrefix } from './worker-auth.js';
import { serveWebApp } from './web-app.js';

export { requireAdmin, requireUser } from './access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user, or null for an anonymous request. */
    user: RequestUser | null;
  }
}

/** Largest JSON body; files come as multipart, with their own limit. */
const BODY_LIMIT = 1 << 20;

/** How often abandoned resumable uploads are looked for. */
const UPLOAD_SWEEP_MS = 5 * 60_000;

/** How often open phases are checked for selections still to carry in. */
const CARRY_SWEEP_MS = 60_000;

/** Options a test or an embedding program may set. */
export interface ServerOptions {
  loginLimits?: LoginLimits;
  /** Folder of the built web app; @defaultValue dist/web of this package. */
  webRoot?: string;
}

/** The HTTP API and the web app on one Fastify instance; API errors always leave as JSON `{ error, message }`. */
export async function buildServer(ctx: AppContext, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const deps = serverDeps(ctx, opts.loginLimits);
  const app = Fastify({ loggerInstance: ctx.logger as FastifyBaseLogger, bodyLimit: BODY_LIMIT });
  await app.register(multipart, { limits: { files: 1, fields: 10, fileSize: ctx.config.maxUploadBytes } });

  app.addHook('onClose', async () => deps.liveLogs.close());
  // Abandoned resumable uploads go with what they stored; a sweep that fails is retried next time.
  const sweep = setInterval(() => void sweepUploads(deps).catch((err: unknown) => app.log.warn({ err }, 'sweeping expired uploads failed')), UPLOAD_SWEEP_MS);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
  // A phase that carries selections does so within a minute of opening (once: any server may try).
  const carry = () =>
    void carryOpenedPhases(ctx.db, ctx.competitions).then(
      (done) => {
        for (const d of done) app.log.info(d, 'carried selected submissions into a phase that opened');
        if (done.length > 0) ctx.worker?.wake();
      },
      (err: unknown) => app.log.warn({ err }, 'carrying selections into opened phases failed'),
    );
  const carrySweep = setInterval(carry, CARRY_SWEEP_MS);
  carrySweep.unref();
  app.addHook('onReady', async () => carry());
  app.addHook('onClose', async () => clearInterval(carrySweep));
  gateUploadSize(app, ctx.config.maxUploadBytes);
  app.decorate('apiRoutes', [] as RegisteredRoute[]);
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    const cookies = readCookies(req);
    const header = req.headers.authorization;
    let viaCookie = false;
    if (header && /^Bearer\s+/i.test(header) && header.replace(/^Bearer\s+/i, '').startsWith(workerTokenPrefix)) {
      // A worker token is no user: only the worker API accepts it (requireWorkerToken), every other route sees an anonymous request.
    } else if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const user = match?.[1] ? await ctx.users.byTokenHash(hashToken(match[1])) : undefined;
      if (!user) throw new HttpError(401, 'the token is invalid or expired; log in again or create a new API token');
      req.user = user;
    } else {
      const token = cookies.get(SESSION_COOKIE);
      // A stale cookie is treated as no cookie: the page then offers to sign in again.
      const user = token ? await ctx.users.byTokenHash(hashToken(token)) : undefined;
      if (user) {
        req.user = user;
        viaCookie = true;
      }
    }
    checkCsrf(req, viaCookie, cookies);
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.status).send({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
    }
    const e = err as { statusCode?: number; code?: string; message: string };
    const ours = frameworkError(e, { bodyBytes: BODY_LIMIT, uploadBytes: ctx.config.maxUploadBytes });
    if (ours) return reply.status(ours.status).send({ error: ours.code, message: ours.message });
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(e.statusCode).send({ error: e.code && /^[a-z_]+$/.test(e.code) ? e.code : 'bad_request', message: e.message });
    }
    if (isTransientDbError(err)) {
      // A database restart or failover: nothing the caller did; the same request works again soon.
      req.log.warn({ err }, 'the database cannot be reached');
      return reply.status(503).header('retry-after', '30').send({ error: 'database_unavailable', message: 'the database cannot be reached right now; try again in a minute' });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: 'internal', message: 'something went wrong on our side; it has been logged' });
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (req, reply) => {
    const state = await readiness(ctx, req.log);
    return reply.status(state.ready ? 200 : 503).header('cache-control', 'no-store').send(state);
  });
  for (const plugin of [accountRoutes, competitionRoutes, leaderboardRoutes, submissionRoutes, submissionEvents, teamRoutes, hostRoutes, determinismRoutes, notificationRoutes, userEvents, adminRoutes, workerTokenRoutes, workerRoutes, workerCheckRoutes, workerBlobRoutes, tusRoutes]) {
    await app.register(plugin(deps), { prefix: '/api' });
  }
  await app.register(openApiRoutes(), { prefix: '/api' });
  await app.register(metricsRoutes(deps));
  await serveWebApp(app, opts.webRoot);
  // The server sends the outbox's deliveries and raises alerts; worker-only processes just write rows.
  ctx.notifications.start();
  app.addHook('onClose', () => ctx.notifications.stop());
  return app;
}
