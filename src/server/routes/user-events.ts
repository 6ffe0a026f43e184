import type { FastifyPluginAsync } from 'fastify';
import { requireUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import { RunEndFeed } from '../run-end-feed.js';
import type { ServerDeps } from '../server-deps.js';

/**
 * Server-sent events for the signed-in user: `run_ended` whenever one of their runs reaches a
 * final status (any competition), so the web app can tell them on whatever page they are. All
 * streams share one RunEndFeed: one reading of the database per `pollMs`, however many are open.
 */
export const userEvents = (deps: ServerDeps, pollMs = 1000): FastifyPluginAsync => async (app) => {
  const feed = new RunEndFeed(deps.db, (err) => app.log.warn({ err }, 'reading ended runs failed'), pollMs);
  const onStatus = () => feed.look();
  deps.worker?.on('status', onStatus);
  app.addHook('onClose', async () => {
    deps.worker?.off('status', onStatus);
    feed.stop();
    await feed.settled();
  });

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
      const unsubscribe = feed.subscribe(user.id, (event) => res.write(`event: run_ended\ndata: ${JSON.stringify(event)}\n\n`));
      req.raw.on('close', unsubscribe);
      feed.look();
    },
  });
};
