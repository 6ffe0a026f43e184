/** The JSON events Holdout sends to webhooks (and as e-mails), and their signature. */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface RunEndedEvent {
  event: 'run_ended';
  /** The delivery's id: the same on every retry, so a receiver can drop repeats. */
  delivery: string;
  at: string;
  competition: { slug: string; title: string };
  submission: { id: string; kind: string; phase: string; status: string; reason: string | null; finishedAt: string | null };
  /** The public score (primary metric); the private one only once the host revealed it. */
  score: { public: number | null; private?: number | null } | null;
}

export const alertKinds = ['queue_stalled', 'worker_lost', 'storage_error'] as const;
export type AlertKind = (typeof alertKinds)[number];

export interface AlertEvent {
  event: 'alert';
  delivery: string;
  at: string;
  alert: AlertKind;
  competition: { slug: string; title: string } | null;
  message: string;
}

export type HoldoutEvent = RunEndedEvent | AlertEvent;

/** Header that carries the signature: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const signatureHeader = 'x-holdout-signature';

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a receiver does (shown in the docs; used by the tests): compares in constant time. */
export function verifySignature(body: string, secret: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
