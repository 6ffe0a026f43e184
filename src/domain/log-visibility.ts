import type { SubmissionKind } from './submission.js';

/**
 * What a participant may read of a run's log (stdout and stderr):
 * `reason-only`: nothing but the failure reason and message (no log line in it either);
 * `tail`: the last lines (`logTailBytes` at most), and the last line in a failure message;
 * `full`: the whole log as stored (capped by `limits.log`), streamed live as well.
 * Hosts and admins always read whole logs.
 */
export const logVisibilities = ['reason-only', 'tail', 'full'] as const;
export type LogVisibility = (typeof logVisibilities)[number];

/** Per kind of run, what its participant may read of the log. */
export interface LogPolicy {
  fullRuns: LogVisibility;
  smokeRuns: LogVisibility;
}

/**
 * Full runs see the test features, and a log is the easiest way to print them: only the reason
 * by default. Smoke runs see a public sample: their whole logs help participants debug.
 */
export const defaultLogPolicy: Readonly<LogPolicy> = Object.freeze({ fullRuns: 'reason-only', smokeRuns: 'full' });

/** Bytes of a log's end that `tail` shows. */
export const logTailBytes = 4096;

/** What a participant may read of a run of `kind`; configurations stored before the setting existed get the defaults. */
export function logVisibility(policy: LogPolicy | undefined, kind: SubmissionKind): LogVisibility {
  const p = policy ?? defaultLogPolicy;
  return kind === 'smoke' ? p.smokeRuns : p.fullRuns;
}

/** The last whole lines of a log that fit in `maxBytes`. Pure. */
export function logTail(log: Buffer, maxBytes = logTailBytes): string {
  if (log.length <= maxBytes) return log.toString('utf8');
  const end = log.subarray(log.length - maxBytes);
  const firstBreak = end.indexOf(0x0a);
  return end.subarray(firstBreak >= 0 ? firstBreak + 1 : 0).toString('utf8');
}

/**
 * A message with every quoted string withheld except those in `publicTexts` (e.g. the submission
 * format's column names). Validation messages quote what a predictions file holds, and a full run
 * could write test features there: where its log is withheld, so is what it wrote. Pure.
 */
export function withholdQuoted(message: string, publicTexts: ReadonlySet<string>): string {
  return message.replace(/"(?:[^"\\]|\\.)*"/g, (quoted) => {
    let text: unknown;
    try {
      text = JSON.parse(quoted);
    } catch {
      return '"…"';
    }
    return typeof text === 'string' && publicTexts.has(text) ? quoted : '"…"';
  });
}
