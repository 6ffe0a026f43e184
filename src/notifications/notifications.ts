import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database, NotificationRow } from '../db/schema.js';
import { type AlertThresholds, scanForAlerts } from './alert-scan.js';
import type { Channel } from './channels.js';
import { Dispatcher } from './dispatcher.js';
import { emailChannel, type EmailChannelConfig } from './email-channel.js';
import { OutboxRepo } from './outbox-repo.js';
import { webhookChannel } from './webhook-channel.js';

export interface NotificationsConfig {
  retryMs: number;
  maxAttempts: number;
  alertScanMs: number;
  alerts: AlertThresholds;
  /** Send webhooks to loopback and private addresses too (see destination.ts). */
  webhookAllowPrivate: boolean;
  /** The SMTP server and sender; none: mail deliveries fail with a message saying so. */
  email?: EmailChannelConfig;
}

/**
 * Telling people what happened: run-ended events and hosts' alerts, written to an outbox where
 * they happen and sent by the server in the background (webhooks signed per account, mails).
 * Guarantee: an event whose run's result was recorded is never lost (it is written in the same
 * transaction) and is delivered at least once, or recorded as failed after `maxAttempts` tries.
 */
export class Notifications {
  readonly outbox: OutboxRepo;
  private readonly dispatcher: Dispatcher;
  private readonly channels: Partial<Record<NotificationRow['channel'], Channel>>;
  private scanner: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: NotificationsConfig,
    private readonly logger: Logger,
  ) {
    this.outbox = new OutboxRepo(db);
    this.channels = { webhook: webhookChannel({ allowPrivate: config.webhookAllowPrivate }), ...(config.email ? { email: emailChannel(config.email) } : {}) };
    this.dispatcher = new Dispatcher(this.outbox, this.channels, { retryMs: config.retryMs, maxAttempts: config.maxAttempts }, logger);
  }

  /** Whether this server sends mails (HOLDOUT_SMTP_URL is set). */
  get emailEnabled(): boolean {
    return this.channels.email !== undefined;
  }

  /** Whether webhooks may point at non-public addresses. */
  get allowPrivateHooks(): boolean {
    return this.config.webhookAllowPrivate;
  }

  /** For SubmissionsRepo and HostSubmissionsRepo: writes a finished run's deliveries inside the transaction that records it. */
  readonly onRunEnded = (trx: Transaction<Database>, submissionId: string): Promise<void> => this.outbox.enqueueRunEnded(trx, submissionId);

  /** Starts sending and scanning for alerts (the server does; worker-only processes only write). */
  start(): void {
    this.dispatcher.start();
    if (this.scanner) return;
    this.scanner = setInterval(() => void this.scan(), this.config.alertScanMs);
  }

  /** One look for alert causes now. */
  async scan(): Promise<number> {
    try {
      return await scanForAlerts(this.db, this.outbox, this.config.alerts, this.logger);
    } catch (err) {
      this.logger.warn({ err }, 'scanning for alerts failed');
      return 0;
    }
  }

  /** Sends what is due now (tests, and after a burst). */
  flush(): Promise<void> {
    return this.dispatcher.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.scanner);
    this.scanner = undefined;
    await this.dispatcher.stop();
    for (const c of Object.values(this.channels)) c.close?.();
  }
}
