import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { type AlertThresholds, scanForAlerts } from './alert-scan.js';
import { webhookChannel } from './channels.js';
import { Dispatcher } from './dispatcher.js';
import { OutboxRepo } from './outbox-repo.js';

export interface NotificationsConfig {
  retryMs: number;
  maxAttempts: number;
  alertScanMs: number;
  alerts: AlertThresholds;
}

/**
 * Telling people what happened: run-ended events and hosts' alerts, written to an outbox where
 * they happen and sent by the server in the background (webhooks signed per account).
 * Guarantee: an event whose run's result was recorded is never lost (it is written in the same
 * transaction) and is delivered at least once, or recorded as failed after `maxAttempts` tries.
 */
export class Notifications {
  readonly outbox: OutboxRepo;
  private readonly dispatcher: Dispatcher;
  private scanner: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: NotificationsConfig,
    private readonly logger: Logger,
  ) {
    this.outbox = new OutboxRepo(db);
    this.dispatcher = new Dispatcher(this.outbox, { webhook: webhookChannel }, { retryMs: config.retryMs, maxAttempts: config.maxAttempts }, logger);
  }

  /** For SubmissionsRepo: writes a finished run's deliveries inside the transaction that records it. */
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
  }
}
