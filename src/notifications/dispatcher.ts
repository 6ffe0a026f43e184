import type { Logger } from 'pino';
import type { NotificationChannel, NotificationRow } from '../db/schema.js';
import type { Channel } from './channels.js';
import type { OutboxRepo } from './outbox-repo.js';

export interface DispatcherOptions {
  /** Pause before the first retry; each later one waits 4 times longer. */
  retryMs: number;
  maxAttempts: number;
  /** How often the outbox is looked at. @defaultValue 500 */
  pollMs?: number;
  /** Deliveries sent at once. @defaultValue 4 */
  parallel?: number;
}

/**
 * Sends what the outbox holds, in the background: a slow or dead receiver delays only its own
 * deliveries, never a worker (runs only write rows). Delivery is at least once: a sender that
 * stops between sending and recording leaves the row to be sent again after its claim expires.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly outbox: OutboxRepo,
    private readonly channels: Partial<Record<NotificationChannel, Channel>>,
    private readonly opts: DispatcherOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.opts.pollMs ?? 500);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
  }

  /** Sends every due delivery; one tick at a time. */
  tick(): Promise<void> {
    this.ticking ??= this.drain().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async drain(): Promise<void> {
    const senders = Array.from({ length: this.opts.parallel ?? 4 }, async () => {
      while (!this.stopped) {
        const row = await this.outbox.claimDue().catch((err: unknown) => {
          this.logger.warn({ err }, 'reading the notification outbox failed');
          return undefined;
        });
        if (!row) return;
        await this.deliver(row);
      }
    });
    await Promise.all(senders);
  }

  private async deliver(row: NotificationRow): Promise<void> {
    try {
      const channel = this.channels[row.channel];
      if (!channel) throw new Error(`no ${row.channel} channel on this server`);
      const secret = row.signer_id ? await this.outbox.secretOf(row.signer_id) : null;
      await channel.send(row, secret);
      await this.outbox.delivered(row.id);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retry = row.attempts < this.opts.maxAttempts ? Date.now() + this.opts.retryMs * 4 ** (row.attempts - 1) : undefined;
      this.logger.warn({ delivery: row.id, target: row.target, attempt: row.attempts, err: message }, retry ? 'notification delivery failed; will retry' : 'notification delivery failed for good');
      await this.outbox.attemptFailed(row.id, message, retry).catch((e: unknown) => this.logger.error({ err: e }, 'recording a failed delivery failed'));
    }
  }
}
