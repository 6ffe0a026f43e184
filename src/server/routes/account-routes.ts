import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import type { UserRow } from '../../db/schema.js';
import { createUser, issueToken, UsernameTakenError } from '../../app/accounts.js';
import { verifyPassword } from '../../app/passwords.js';
import { requireUser } from '../build-server.js';
import { HttpError, notFound } from '../http-error.js';
import { parse } from '../validate.js';

const credentials = z.object({
  username: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,32}$/, 'use 3 to 32 letters, digits, ".", "_" or "-"'),
  password: z.string().min(8, 'use at least 8 characters').max(200),
});

export const publicUser = (u: UserRow) => ({ id: u.id, username: u.username, role: u.role, createdAt: u.created_at });

export const accountRoutes = (ctx: AppContext): FastifyPluginAsync => async (app) => {
  app.post('/auth/register', async (req, reply) => {
    const body = parse(credentials, req.body);
    let user: UserRow;
    try {
      user = await createUser(ctx.users, body.username, body.password, 'participant');
    } catch (err) {
      if (err instanceof UsernameTakenError) throw new HttpError(409, err.message, 'username_taken');
      throw err;
    }
    const session = await issueToken(ctx.users, user.id, 'session', 'login');
    return reply.status(201).send({ user: publicUser(user), token: session.token, expiresAt: session.expiresAt });
  });

  app.post('/auth/login', async (req) => {
    const body = parse(z.object({ username: z.string(), password: z.string() }), req.body);
    const user = await ctx.users.byName(body.username);
    if (!user || !(await verifyPassword(body.password, user.password_hash)))
      throw new HttpError(401, 'wrong username or password', 'bad_credentials');
    const session = await issueToken(ctx.users, user.id, 'session', 'login');
    return { user: publicUser(user), token: session.token, expiresAt: session.expiresAt };
  });

  app.post('/auth/logout', async (req, reply) => {
    const user = requireUser(req);
    await ctx.users.deleteToken(user.id, user.token_id);
    return reply.status(204).send();
  });

  app.get('/me', async (req) => publicUser(requireUser(req)));

  app.post('/tokens', async (req, reply) => {
    const user = requireUser(req);
    const body = parse(z.object({ name: z.string().min(1).max(100) }), req.body);
    const t = await issueToken(ctx.users, user.id, 'api', body.name);
    return reply.status(201).send({ id: t.id, name: body.name, token: t.token });
  });

  app.get('/tokens', async (req) => {
    const rows = await ctx.users.listTokens(requireUser(req).id);
    return rows.map((t) => ({ id: t.id, name: t.name, createdAt: t.created_at }));
  });

  app.delete<{ Params: { id: string } }>('/tokens/:id', async (req, reply) => {
    const ok = await ctx.users.deleteToken(requireUser(req).id, req.params.id);
    if (!ok) throw notFound(`token ${req.params.id}`);
    return reply.status(204).send();
  });
};
