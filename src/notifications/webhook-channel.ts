import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { NotificationRow } from '../db/schema.js';
import type { Channel } from './channels.js';
import { checkWebhookUrl, DestinationRefused, guardedLookup } from './destination.js';
import { signatureHeader, signBody } from './events.js';

/** How long a receiver may take to answer before the try counts as failed. */
const webhookTimeoutMs = 10_000;

/**
 * POSTs the JSON body, signed with the account's secret; any answer but 2xx is a failure, and
 * redirects are not followed (a redirect could lead anywhere). Unless `allowPrivate`, the address
 * connected to is checked after DNS resolution, at every try.
 */
export function webhookChannel(opts: { allowPrivate: boolean }): Channel {
  return {
    async send(row: NotificationRow, secret: string | null): Promise<void> {
      if (!row.target) throw new Error('no webhook URL');
      const url = new URL(row.target);
      await checkWebhookUrl(row.target, opts.allowPrivate);
      const headers: Record<string, string> = {
        'content-type': 'application/json', 'content-length': String(Buffer.byteLength(row.body)), 'user-agent': 'Holdout',
        'x-holdout-event': row.kind, 'x-holdout-delivery': row.id,
      };
      if (secret) headers[signatureHeader] = signBody(row.body, secret);
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(url, { method: 'POST', headers, timeout: webhookTimeoutMs, ...(opts.allowPrivate ? {} : { lookup: guardedLookup() }) }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${webhookTimeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
        req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof DestinationRefused ? err : new Error(`could not reach ${row.target}: ${err.code ?? err.message}`)));
        req.end(row.body);
      });
      if (status < 200 || status >= 300) throw new Error(`${row.target} answered ${status}`);
    },
  };
}
