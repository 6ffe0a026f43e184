import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createUser, issueToken, UsernameTakenError } from '../../app/accounts.js';
import { verifyPassword } from '../../app/passwords.js';
import type { UserRow } from '../../db/schema.js';
import { requireUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import { HttpError, notFound } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { clearSessionCookies, setSessionCookies } from '../session-cookies.js';

export const username = z.string().regex(/^[a-zA-Z0-9_.-]{3,32}$/, 'use 3 to 32 letters, digits, ".", "_" or "-"');

const session = z
  .enum(['token', 'cookie'])
  .default('token')
  .describe('"token": the session token is returned in the body (scripts, CLI); "cookie": it is set as an HttpOnly cookie instead (the web app)');
const credentials = z.object({ username, password: z.string().min(8, 'use at least 8 characters').max(200), session });
const login = z.object({ username: z.string().max(100), password: z.string().max(200), session });

export const userSchema = z.object({ id: z.string(), username: z.string(), role: z.enum(['admin', 'host', 'participant']), createdAt: z.string() });
const sessionSchema = z.object({ user: userSchema, token: z.string().optional().describe('absent in cookie mode'), expiresAt: z.string().nullable() });

export const publicUser = (u: UserRow) => ({ id: u.id, username: u.username, role: u.role, createdAt: u.created_at });

/** Opens a session: a token in the body, or (for the web app) HttpOnly + CSRF cookies. */
async function startSession(deps: ServerDeps, req: FastifyRequest, reply: FastifyReply, user: UserRow, mode: 'token' | 'cookie') {
  const s = await issueToken(deps.users, user.id, 'session', mode === 'cookie' ? 'web' : 'login');
  if (mode === 'cookie') {
    setSessionCookies(req, reply, s.token, s.expiresAt ?? new Date(Date.now() + 86_400_000).toISOString());
    return { user: publicUser(user), expiresAt: s.expiresAt };
  }
  return { user: publicUser(user), token: s.token, expiresAt: s.expiresAt };
}

export const accountRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'POST', url: '/auth/register', tag: 'accounts', access: 'anyone', summary: 'Create an account and sign in',
    body: credentials,
    responses: { 201: { description: 'Signed in', schema: sessionSchema } },
    handler: async (req, reply, { body }) => {
      let user: UserRow;
      try {
        user = await createUser(deps.users, body.username, body.password, 'participant');
      } catch (err) {
        if (err instanceof UsernameTakenError) throw new HttpError(409, err.message, 'username_taken');
        throw err;
      }
      return reply.status(201).send(await startSession(deps, req, reply, user, body.session));
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/auth/login', tag: 'accounts', access: 'anyone', summary: 'Sign in',
    description: 'Failed attempts are limited per username and per client address; past the limit the answer is 429 with Retry-After.',
    body: login,
    responses: { 200: { description: 'Signed in', schema: sessionSchema } },
    handler: async (req, reply, { body }) => {
      const wait = await deps.loginLimiter.retryAfter(body.username, req.ip);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new HttpError(429, `too many failed sign-ins; try again in ${Math.ceil(wait / 60)} minute(s)`, 'too_many_attempts');
      }
      const user = await deps.users.byName(body.username);
      if (!user || !(await verifyPassword(body.password, user.password_hash))) {
        await deps.loginLimiter.failed(body.username, req.ip);
        throw new HttpError(401, 'wrong username or password', 'bad_credentials');
      }
      await deps.loginLimiter.succeeded(body.username);
      return startSession(deps, req, reply, user, body.session);
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/auth/logout', tag: 'accounts', access: 'user', summary: 'Sign out (revokes the token or cookie session used)',
    responses: { 204: { description: 'Signed out' } },
    handler: async (req, reply) => {
      const user = requireUser(req);
      await deps.users.deleteToken(user.id, user.token_id);
      clearSessionCookies(req, reply);
      return reply.status(204).send();
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/me', tag: 'accounts', access: 'user', summary: 'The signed-in user',
    responses: { 200: { description: 'The user', schema: userSchema } },
    handler: async (req) => publicUser(requireUser(req)),
  });

  apiRoute(app, {
    method: 'POST', url: '/tokens', tag: 'accounts', access: 'user', summary: 'Create an API token (shown once)',
    body: z.object({ name: z.string().min(1).max(100) }),
    responses: { 201: { description: 'The token', schema: z.object({ id: z.string(), name: z.string(), token: z.string() }) } },
    handler: async (req, reply, { body }) => {
      const t = await issueToken(deps.users, requireUser(req).id, 'api', body.name);
      return reply.status(201).send({ id: t.id, name: body.name, token: t.token });
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/tokens', tag: 'accounts', access: 'user', summary: 'My API tokens (never their values)',
    responses: { 200: { description: 'Tokens', schema: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.string() })) } },
    handler: async (req) => (await deps.users.listTokens(requireUser(req).id)).map((t) => ({ id: t.id, name: t.name, createdAt: t.created_at })),
  });

  apiRoute(app, {
    method: 'DELETE', url: '/tokens/:id', tag: 'accounts', access: 'user', summary: 'Revoke an API token',
    params: z.object({ id: z.string() }),
    responses: { 204: { description: 'Revoked' } },
    handler: async (req, reply, { params }) => {
      if (!(await deps.users.deleteToken(requireUser(req).id, params.id))) throw notFound(`token ${params.id}`);
      return reply.status(204).send();
    },
  });
};
