import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { NotificationRow } from '../../db/schema.js';
import { checkWebhookUrl, DestinationRefused } from '../../notifications/destination.js';
import { hostedCompetition, requireAdmin, requireUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import { HttpError } from '../http-error.js';
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

const emailBody = z
  .object({
    address: z.email().max(320).nullable().describe('Where notification mails go; null: none'),
    notify: z.boolean().describe('Mail me when my runs end (and, as a host, alerts of my competitions)'),
  })
  .strict();

/** A delivery as its owner sees it: how it was sent, where, how it went, and the event exactly as sent. */
function deliveryView(d: NotificationRow) {
  return {
    id: d.id, kind: d.kind, channel: d.channel, target: d.target, status: d.status, attempts: d.attempts, lastError: d.last_error,
    createdAt: d.created_at, deliveredAt: d.delivered_at, submissionId: d.submission_id, event: JSON.parse(d.body) as unknown,
  };
}

/**
 * Webhook and e-mail settings (an account's, a competition's), their deliveries, and the admins'
 * list of alerts. A signing secret is shown once, when it is made (first hook, or a rotation).
 */
export const notificationRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  const { notifications } = deps;
  const { outbox } = notifications;

  /** A 400 for a hook this server will not call (a private address, a name that does not resolve). */
  const checkHook = async (url: string | null) => {
    if (!url) return;
    try {
      await checkWebhookUrl(url, notifications.allowPrivateHooks);
    } catch (err) {
      if (err instanceof DestinationRefused) throw new HttpError(400, `webhook URL refused: ${err.message}`, 'webhook_refused');
      throw err;
    }
  };
  /** The secret when setting a hook made it (the only time it is shown without a rotation). */
  const newSecret = async (userId: string) => ((await outbox.hasSecret(userId)) ? {} : { secret: await outbox.secretOf(userId) });

  apiRoute(app, {
    method: 'GET', url: '/me/webhook', tag: 'notifications', access: 'user',
    summary: "The account's webhook for its runs' run_ended events, whether it has a signing secret, and its latest deliveries (webhook and e-mail; failed ones with their error)",
    handler: async (req) => {
      const user = requireUser(req);
      return { url: await outbox.userHook(user.id), secretSet: await outbox.hasSecret(user.id), deliveries: (await outbox.forUser(user.id)).map(deliveryView) };
    },
  });

  apiRoute(app, {
    method: 'PUT', url: '/me/webhook', tag: 'notifications', access: 'user',
    summary: 'Set (or clear with null) the URL that run_ended events of your runs are POSTed to',
    description: 'Each POST carries `x-holdout-signature: sha256=<hex HMAC-SHA256 of the body with your secret>`, `x-holdout-event` and `x-holdout-delivery`; failed deliveries are retried with backoff. The answer has `secret` only when this call made it. Hosts that resolve to loopback, private or link-local addresses are refused (400) unless the server allows them.',
    body: hookBody,
    handler: async (req, _reply, { body }) => {
      const user = requireUser(req);
      await checkHook(body.url);
      const secret = body.url ? await newSecret(user.id) : {};
      await outbox.setUserHook(user.id, body.url);
      return { url: body.url, ...secret };
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/me/webhook/secret', tag: 'notifications', access: 'user',
    summary: 'Make a new signing secret (shown once); the old one stops signing at once, for your hook and the competition hooks you set',
    handler: async (req) => ({ secret: await outbox.rotateSecret(requireUser(req).id) }),
  });

  apiRoute(app, {
    method: 'GET', url: '/me/email', tag: 'notifications', access: 'user',
    summary: 'Your notification address, whether mails are on, and whether this server sends mail at all',
    handler: async (req) => ({ ...(await outbox.emailSettings(requireUser(req).id)), available: notifications.emailEnabled }),
  });

  apiRoute(app, {
    method: 'PUT', url: '/me/email', tag: 'notifications', access: 'user',
    summary: 'Set your notification address and turn mails on or off (a mail when a run ends; hosts also get alerts)',
    body: emailBody,
    handler: async (req, _reply, { body }) => {
      const user = requireUser(req);
      if (body.notify && !body.address) throw new HttpError(400, 'notify needs an address to send to');
      if (body.notify && !notifications.emailEnabled) throw new HttpError(409, 'this server sends no e-mail (its admin has not set HOLDOUT_SMTP_URL); use a webhook or the notices in the web app', 'email_unavailable');
      await outbox.setEmailSettings(user.id, body);
      return { ...body, available: notifications.emailEnabled };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/webhook', tag: 'notifications', access: 'host',
    summary: "The competition's webhook (run_ended of every run, and alerts) and its latest deliveries",
    params: slugParams,
    handler: async (req, _reply, { params }) => {
      const { c, host } = await hostedCompetition(deps, req, params.slug);
      return { url: await outbox.competitionHook(c.id), secretSet: await outbox.hasSecret(host.id), deliveries: (await outbox.forCompetition(c.id)).map(deliveryView) };
    },
  });

  apiRoute(app, {
    method: 'PUT', url: '/competitions/:slug/webhook', tag: 'notifications', access: 'host',
    summary: "Set (or clear) the competition's webhook: run_ended of every run and host alerts (queue_stalled, worker_lost, storage_error), signed with your account's secret (in the answer only when this call made it)",
    params: slugParams, body: hookBody,
    handler: async (req, _reply, { params, body }) => {
      const { c, host } = await hostedCompetition(deps, req, params.slug);
      await checkHook(body.url);
      const secret = body.url ? await newSecret(host.id) : {};
      await outbox.setCompetitionHook(c.id, body.url, host.id);
      return { url: body.url, ...secret };
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
