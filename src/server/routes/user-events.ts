import type { FastifyPluginAsync } from 'fastify';
import { requireUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import type { ServerDeps } from '../server-deps.js';

/**
 * Server-sent events for the signed-in user: `run_ended` whenever one of their runs reaches a
 * final status (any competition), so the web app can tell them on whatever page they are.
 * Runs of other processes' workers are seen by reading the database every `pollMs`.
 */
export const userEvents = (deps: ServerDeps, pollMs = 1000): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'GET', url: '/me/events', tag: 'notifications', access: 'user',
    summary: 'Your runs ending, as server-sent events: `run_ended` with the submission id, competition, status and public score',
    responses: { 200: { description: 'An event stream', contentType: 'text/event-stream' } },
    handler: async (req, reply) => {
      const user = requireUser(req);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': connected\n\n');
      const connectedAt = Date.now();
      let since = new Date(connectedAt).toISOString();
      const told = new Set<string>();
      let closed = false;
      const check = async () => {
        const rows = await deps.db
          .selectFrom('submissions')
          .innerJoin('competitions', 'competitions.id', 'submissions.competition_id')
          .select(['submissions.id', 'submissions.kind', 'submissions.status', 'submissions.reason', 'submissions.finished_at', 'submissions.public_primary', 'competitions.slug', 'competitions.title'])
          .where('submissions.user_id', '=', user.id)
          .where('submissions.status', 'in', ['scored', 'failed', 'cancelled'])
          .where('submissions.finished_at', '>=', since)
          .orderBy('submissions.finished_at')
          .execute();
        for (const r of rows) {
          const key = `${r.id}@${r.finished_at ?? ''}`;
          if (closed || told.has(key)) continue;
          told.add(key);
          const event = { id: r.id, kind: r.kind, status: r.status, reason: r.reason, finishedAt: r.finished_at, competition: { slug: r.slug, title: r.title }, publicScore: r.status === 'scored' ? r.public_primary : null };
          res.write(`event: run_ended\ndata: ${JSON.stringify(event)}\n\n`);
        }
        // Keep the window small: only ends since a little before the last look (clocks of writers differ slightly).
        since = new Date(Math.max(connectedAt, Date.now() - 60_000)).toISOString();
      };
      const poll = () => void check().catch((err: unknown) => req.log.warn({ err }, 'reading ended runs failed'));
      const timer = setInterval(poll, pollMs);
      const onStatus = () => poll();
      deps.worker?.on('status', onStatus);
      req.raw.on('close', () => {
        closed = true;
        clearInterval(timer);
        deps.worker?.off('status', onStatus);
      });
      poll();
    },
  });
};
