import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client.js';
import { CliError, exitCodes } from './exit-codes.js';

/** A submission as the API shows it to its owner (the fields the CLI reads). */
export interface SubmissionView {
  id: string;
  kind: 'full' | 'smoke';
  phase: string;
  status: string;
  reason: string | null;
  message: string | null;
  advice: string | null;
  createdAt: string;
  runMs: number | null;
  exitCode: number | null;
  publicScore: number | null;
  publicScores: Record<string, number> | null;
  privateScore?: number | null;
  privateScores?: Record<string, number> | null;
  logBytes: number | null;
}

const finalStatuses = new Set(['scored', 'failed', 'cancelled']);

export function isFinalStatus(status: string): boolean {
  return finalStatuses.has(status);
}

/** What `followSubmission` reports as it goes. */
export interface FollowHandlers {
  onStatus?: (s: SubmissionView) => void;
  /** Log text of a smoke run, live (the server streams logs of smoke runs only). */
  onLog?: (text: string) => void;
}

/**
 * Follows a submission until its status is final and returns it: through the server-sent events
 * of `/api/submissions/:id/events` (status changes and a smoke run's log, live), falling back to
 * polling `/api/submissions/:id` once a second when the stream is unavailable or drops.
 */
export async function followSubmission(client: ApiClient, id: string, handlers: FollowHandlers = {}): Promise<SubmissionView> {
  const path = `/api/submissions/${encodeURIComponent(id)}`;
  let last: SubmissionView | undefined;
  const seen = (s: SubmissionView) => {
    if (last?.status !== s.status) handlers.onStatus?.(s);
    last = s;
  };
  try {
    for await (const event of client.events(`${path}/events`)) {
      if (event.event === 'status') seen(JSON.parse(event.data) as SubmissionView);
      else if (event.event === 'log') handlers.onLog?.(event.data);
      if (last && isFinalStatus(last.status)) return last;
      if (event.event === 'end') break;
    }
  } catch (error) {
    // Not found, not allowed, or not logged in are answers, not a dropped stream.
    if (error instanceof CliError && error.exitCode !== exitCodes.unreachable && error.exitCode !== exitCodes.failure) throw error;
  }
  for (;;) {
    const s = await client.get<SubmissionView>(path);
    seen(s);
    if (isFinalStatus(s.status)) return s;
    await sleep(1000);
  }
}
