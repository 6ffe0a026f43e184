import type { Transporter } from 'nodemailer';
import type { NotificationRow } from '../db/schema.js';
import type { Channel } from './channels.js';
import type { HoldoutEvent } from './events.js';
import { mailText } from './mail-text.js';

export interface EmailChannelConfig {
  /** smtp://[user:password@]host[:port] or smtps://… */
  smtpUrl: string;
  from: string;
  /** For links in mails. */
  publicUrl?: string;
}

/** How long one try may wait for the SMTP server at each step before it counts as failed. */
const smtpTimeoutMs = 15_000;

/**
 * Sends a delivery's event as a plain-text mail to `row.target` through the configured SMTP server
 * (nodemailer, loaded on first use). A refused connection or a rejected recipient throws, and the
 * dispatcher retries it like a webhook.
 */
export function emailChannel(config: EmailChannelConfig): Channel {
  let transport: Promise<Transporter> | undefined;
  const open = async (): Promise<Transporter> => {
    const nodemailer = await import('nodemailer');
    return nodemailer.createTransport(
      { url: config.smtpUrl, connectionTimeout: smtpTimeoutMs, greetingTimeout: smtpTimeoutMs, socketTimeout: smtpTimeoutMs },
      { from: config.from },
    );
  };
  return {
    async send(row: NotificationRow): Promise<void> {
      if (!row.target) throw new Error('no e-mail address');
      const { subject, text } = mailText(JSON.parse(row.body) as HoldoutEvent, config.publicUrl);
      transport ??= open();
      try {
        await (await transport).sendMail({ to: row.target, subject, text, headers: { 'X-Holdout-Event': row.kind, 'X-Holdout-Delivery': row.id } });
      } catch (err) {
        const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
        throw new Error(`mail to ${row.target} not sent: ${e.response ?? e.message ?? e.code ?? String(err)}`);
      }
    },
    close(): void {
      void transport?.then((t) => t.close()).catch(() => undefined);
    },
  };
}
