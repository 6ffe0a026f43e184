import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { NotificationRow } from '../../db/schema.js';
import { hostedCompetition, requireAdmin, requireUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import type { ServerDeps } from '../server-deps.js';
import { slugParams } from './competition-routes.js';

const hookBody = z
  .object({
    url: z
      .string()
      .url()
      .max(2000)
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http:// or https:// URL')
      .nullable()
      .describe('Where events are POSTed; null: none'),
  })
  .strict();

/** A delivery as its owner sees it: where, how it went, and the event exactly as sent. */
function deliveryView(d: NotificationRow) {
  return {
    id: d.id, kind: d.kind, target: d.target, status: d.status, attempts: d.attempts, lastError: d.last_error,
    createdAt: d.created_at, deliveredAt: d.delivered_at, submissionId: d.submission_id, event: JSON.parse(d.body) as unknown,
  };
}

/** Webhook settings (an account's, a competition's), their deliveries, and the admins' list of alerts. */
export const notificationRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  const { outbox } = deps.notifications;

  apiRoute(app, {
    method: 'GET', url: '/me/webhook', tag: 'notifications', access: 'user',
    summary: "The account's webhook for its runs' run_ended events, its signing secret and the latest deliveries (failed ones with their error)",
    handler: async (req) => {
      const user = requireUser(req);
      return { url: await outbox.userHook(user.id), secret: await outbox.secretOf(user.id), deliveries: (await outbox.forUser(user.id)).map(deliveryView) };
    },
  });

  apiRoute(app, {
    method: 'PUT', url: '/me/webhook', tag: 'notifications', access: 'user',
    summary: 'Set (or clear with null) the URL that run_ended events of your runs are POSTed to',
    description: 'Each POST carries `x-holdout-signature: sha256=<hex HMAC-SHA256 of the body with your secret>`, `x-holdout-event` and `x-holdout-delivery`; failed deliveries are retried with backoff.',
    body: hookBody,
    handler: async (req, _reply, { body }) => {
      const user = requireUser(req);
      await outbox.setUserHook(user.id, body.url);
      return { url: body.url, secret: await outbox.secretOf(user.id) };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/webhook', tag: 'notifications', access: 'host',
    summary: "The competition's webhook (run_ended of every run, and alerts) and its latest deliveries",
    params: slugParams,
    handler: async (req, _reply, { params }) => {
      const { c, host } = await hostedCompetition(deps, req, params.slug);
      return { url: await outbox.competitionHook(c.id), secret: await outbox.secretOf(host.id), deliveries: (await outbox.forCompetition(c.id)).map(deliveryView) };
    },
  });

  apiRoute(app, {
    method: 'PUT', url: '/competitions/:slug/webhook', tag: 'notifications', access: 'host',
    summary: "Set (or clear) the competition's webhook: run_ended of every run and host alerts (queue_stalled, worker_lost, storage_error), signed with your account's secret",
    params: slugParams, body: hookBody,
    handler: async (req, _reply, { params, body }) => {
      const { c, host } = await hostedCompetition(deps, req, params.slug);
      await outbox.setCompetitionHook(c.id, body.url, host.id);
      return { url: body.url, secret: await outbox.secretOf(host.id) };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/admin/alerts', tag: 'notifications', access: 'admin',
    summary: 'Recent alerts of every competition: stalled queues, lost workers, storage errors',
    handler: async (req) => {
      requireAdmin(req);
      return (await outbox.recentAlerts()).map(deliveryView);
    },
  });
};
