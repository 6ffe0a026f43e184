import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database, NotificationChannel, NotificationRow } from '../db/schema.js';
import type { AlertEvent, AlertKind, RunEndedEvent } from './events.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** How long a sender holds a claimed delivery before another may try it (a sender that died). */
const sendingLeaseMs = 60_000;

interface NewDelivery {
  kind: NotificationRow['kind'];
  channel: NotificationChannel;
  target: string;
  signerId: string | null;
  userId: string | null;
  competitionId: string | null;
  submissionId: string | null;
  dedupeKey: string | null;
  /** Builds the body from the delivery's id (which it carries). */
  body: (delivery: string) => string;
}

/** The notification outbox and the settings that decide where deliveries go. */
export class OutboxRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Writes the deliveries of a run that just ended: to its participant's hook, to their address
   * when they opted in to mails, and to the competition's hook. Runs inside the transaction that
   * records the result (no network).
   */
  async enqueueRunEnded(trx: Transaction<Database>, submissionId: string, now = Date.now()): Promise<void> {
    const row = await trx
      .selectFrom('submissions')
      .innerJoin('competitions', 'competitions.id', 'submissions.competition_id')
      .innerJoin('users', 'users.id', 'submissions.user_id')
      .select([
        'submissions.id', 'submissions.kind', 'submissions.phase', 'submissions.status', 'submissions.reason', 'submissions.finished_at',
        'submissions.public_primary', 'submissions.private_primary', 'submissions.user_id', 'competitions.id as competition_id', 'competitions.slug',
        'competitions.title', 'competitions.private_revealed', 'competitions.host_webhook_url', 'competitions.host_webhook_by', 'users.webhook_url',
        'users.email', 'users.email_notifications',
      ])
      .where('submissions.id', '=', submissionId)
      .executeTakeFirst();
    if (!row) return;
    const body = (delivery: string) => {
      const scored = row.status === 'scored';
      const event: RunEndedEvent = {
        event: 'run_ended', delivery, at: iso(now),
        competition: { slug: row.slug, title: row.title },
        submission: { id: row.id, kind: row.kind, phase: row.phase, status: row.status, reason: row.reason, finishedAt: row.finished_at },
        score: scored ? { public: row.public_primary, ...(row.private_revealed && row.kind === 'full' ? { private: row.private_primary } : {}) } : null,
      };
      return JSON.stringify(event);
    };
    const common = { kind: 'run_ended' as const, competitionId: row.competition_id, submissionId: row.id, dedupeKey: null, body };
    if (row.webhook_url) await this.insert(trx, { ...common, channel: 'webhook', target: row.webhook_url, signerId: row.user_id, userId: row.user_id }, now);
    if (row.email && row.email_notifications) await this.insert(trx, { ...common, channel: 'email', target: row.email, signerId: null, userId: row.user_id }, now);
    if (row.host_webhook_url) await this.insert(trx, { ...common, channel: 'webhook', target: row.host_webhook_url, signerId: row.host_webhook_by, userId: null }, now);
  }

  /**
   * Raises an alert to the competition's hook (every alert is kept for the admin page, hook or not),
   * unless one with `dedupeKey` was raised within `windowMs`. True when it raised one.
   */
  async raiseAlert(alert: { kind: AlertKind; competitionId: string | null; message: string; dedupeKey: string; windowMs: number }, now = Date.now()): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const recent = await trx.selectFrom('notification_outbox').select('id').where('dedupe_key', '=', alert.dedupeKey).where('created_at', '>', iso(now - alert.windowMs)).executeTakeFirst();
      if (recent) return false;
      const c = alert.competitionId ? await trx.selectFrom('competitions').select(['slug', 'title', 'host_webhook_url', 'host_webhook_by']).where('id', '=', alert.competitionId).executeTakeFirst() : undefined;
      const body = (delivery: string) => {
        const event: AlertEvent = { event: 'alert', delivery, at: iso(now), alert: alert.kind, competition: c ? { slug: c.slug, title: c.title } : null, message: alert.message };
        return JSON.stringify(event);
      };
      const hook = c?.host_webhook_url;
      // Without a hook the alert is still written (as delivered nowhere) so that admins see it.
      const common = { kind: 'alert' as const, competitionId: alert.competitionId, submissionId: null, dedupeKey: alert.dedupeKey, body };
      await this.insert(trx, { ...common, channel: 'webhook', target: hook ?? '', signerId: c?.host_webhook_by ?? null, userId: null }, now, hook ? 'pending' : 'delivered');
      // And a mail to each of its hosts who opted in (admins for an alert of no competition).
      let mailed = trx.selectFrom('users').select(['users.id', 'users.email']).where('users.email', 'is not', null).where('users.email_notifications', '=', 1);
      mailed = alert.competitionId
        ? mailed.where('users.id', 'in', (eb) => eb.selectFrom('competition_hosts').select('user_id').where('competition_id', '=', alert.competitionId))
        : mailed.where('users.role', '=', 'admin');
      for (const host of await mailed.execute()) {
        await this.insert(trx, { ...common, channel: 'email', target: host.email ?? '', signerId: null, userId: host.id }, now);
      }
      return true;
    });
  }

  private async insert(trx: Transaction<Database>, d: NewDelivery, now: number, status: 'pending' | 'delivered' = 'pending'): Promise<void> {
    const id = randomUUID();
    await trx
      .insertInto('notification_outbox')
      .values({
        id, kind: d.kind, user_id: d.userId, competition_id: d.competitionId, submission_id: d.submissionId, dedupe_key: d.dedupeKey,
        channel: d.channel, target: d.target || null, signer_id: d.signerId, body: d.body(id), status, next_attempt_at: iso(now),
        last_error: null, created_at: iso(now), delivered_at: status === 'delivered' ? iso(now) : null,
      })
      .execute();
  }

  /** Claims the next due delivery (pending, or held by a sender that stopped), counting the attempt. */
  async claimDue(now = Date.now()): Promise<NotificationRow | undefined> {
    const due = this.db.selectFrom('notification_outbox').select('id').where('status', 'in', ['pending', 'sending']).where('next_attempt_at', '<=', iso(now)).orderBy('next_attempt_at').limit(1);
    return this.db
      .updateTable('notification_outbox')
      .set((eb) => ({ status: 'sending', next_attempt_at: iso(now + sendingLeaseMs), attempts: eb('attempts', '+', 1) }))
      .where('id', '=', due)
      .where('status', 'in', ['pending', 'sending'])
      .where('next_attempt_at', '<=', iso(now))
      .returningAll()
      .executeTakeFirst();
  }

  async delivered(id: string, now = Date.now()): Promise<void> {
    await this.db.updateTable('notification_outbox').set({ status: 'delivered', delivered_at: iso(now), last_error: null }).where('id', '=', id).execute();
  }

  /** Records a failed try: due again at `retryAt`, or failed for good when undefined. */
  async attemptFailed(id: string, error: string, retryAt: number | undefined): Promise<void> {
    await this.db
      .updateTable('notification_outbox')
      .set(retryAt === undefined ? { status: 'failed', last_error: error } : { status: 'pending', last_error: error, next_attempt_at: iso(retryAt) })
      .where('id', '=', id)
      .execute();
  }

  /** The deliveries to an account (its own hook, its mails), newest first. */
  forUser(userId: string, limit = 50): Promise<NotificationRow[]> {
    return this.db.selectFrom('notification_outbox').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(limit).execute();
  }

  /** The deliveries to a competition's hook (run ends and alerts), newest first. */
  forCompetition(competitionId: string, limit = 50): Promise<NotificationRow[]> {
    return this.db.selectFrom('notification_outbox').selectAll().where('competition_id', '=', competitionId).where('user_id', 'is', null).orderBy('created_at', 'desc').limit(limit).execute();
  }

  /** Every alert once (its webhook row; its mails are further rows of the same event), newest first. */
  recentAlerts(limit = 50): Promise<NotificationRow[]> {
    return this.db.selectFrom('notification_outbox').selectAll().where('kind', '=', 'alert').where('channel', '=', 'webhook').orderBy('created_at', 'desc').limit(limit).execute();
  }

  /** The account's signing secret, made on first use. */
  async secretOf(userId: string): Promise<string> {
    const row = await this.db.selectFrom('users').select('webhook_secret').where('id', '=', userId).executeTakeFirst();
    if (row?.webhook_secret) return row.webhook_secret;
    const secret = randomBytes(24).toString('hex');
    await this.db.updateTable('users').set({ webhook_secret: secret }).where('id', '=', userId).where('webhook_secret', 'is', null).execute();
    const again = await this.db.selectFrom('users').select('webhook_secret').where('id', '=', userId).executeTakeFirst();
    return again?.webhook_secret ?? secret;
  }

  /** A new signing secret for the account (its hooks and the competition hooks it set), replacing the old one at once. */
  async rotateSecret(userId: string): Promise<string> {
    const secret = randomBytes(24).toString('hex');
    await this.db.updateTable('users').set({ webhook_secret: secret }).where('id', '=', userId).execute();
    return secret;
  }

  async hasSecret(userId: string): Promise<boolean> {
    return !!(await this.db.selectFrom('users').select('webhook_secret').where('id', '=', userId).executeTakeFirst())?.webhook_secret;
  }

  async emailSettings(userId: string): Promise<{ address: string | null; notify: boolean }> {
    const row = await this.db.selectFrom('users').select(['email', 'email_notifications']).where('id', '=', userId).executeTakeFirst();
    return { address: row?.email ?? null, notify: row?.email_notifications === 1 };
  }

  async setEmailSettings(userId: string, s: { address: string | null; notify: boolean }): Promise<void> {
    await this.db.updateTable('users').set({ email: s.address, email_notifications: s.notify && s.address ? 1 : 0 }).where('id', '=', userId).execute();
  }

  async userHook(userId: string): Promise<string | null> {
    return (await this.db.selectFrom('users').select('webhook_url').where('id', '=', userId).executeTakeFirst())?.webhook_url ?? null;
  }

  async setUserHook(userId: string, url: string | null): Promise<void> {
    await this.db.updateTable('users').set({ webhook_url: url }).where('id', '=', userId).execute();
  }

  async setCompetitionHook(competitionId: string, url: string | null, by: string): Promise<void> {
    await this.db.updateTable('competitions').set({ host_webhook_url: url, host_webhook_by: url ? by : null }).where('id', '=', competitionId).execute();
  }

  async competitionHook(competitionId: string): Promise<string | null> {
    return (await this.db.selectFrom('competitions').select('host_webhook_url').where('id', '=', competitionId).executeTakeFirst())?.host_webhook_url ?? null;
  }
}
