import type { NotificationRow } from '../db/schema.js';

/**
 * Sends one delivery (`webhook-channel.ts`, `email-channel.ts`); throws, with a message for the
 * delivery's record, when it did not arrive.
 */
export interface Channel {
  send(row: NotificationRow, secret: string | null): Promise<void>;
  /** Lets go of connections (a mail transport's pool). */
  close?(): void;
}
