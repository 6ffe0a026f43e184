import type { NotificationRow } from '../db/schema.js';
import { signatureHeader, signBody } from './events.js';

/** Sends one delivery; throws (with a message for the delivery's record) when it did not arrive. */
export interface Channel {
  send(row: NotificationRow, secret: string | null): Promise<void>;
}

/** How long a receiver may take to answer before the try counts as failed. */
const webhookTimeoutMs = 10_000;

/** POSTs the JSON body, signed with the account's secret; any answer but 2xx is a failure. */
export const webhookChannel: Channel = {
  async send(row, secret) {
    if (!row.target) throw new Error('no webhook URL');
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Holdout', 'x-holdout-event': row.kind, 'x-holdout-delivery': row.id };
    if (secret) headers[signatureHeader] = signBody(row.body, secret);
    let res: Response;
    try {
      res = await fetch(row.target, { method: 'POST', headers, body: row.body, redirect: 'manual', signal: AbortSignal.timeout(webhookTimeoutMs) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`could not reach ${row.target}: ${cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err))}`);
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`${row.target} answered ${res.status}`);
  },
};
