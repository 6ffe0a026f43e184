import { type FailureReason, reasonAdvice } from '../domain/submission.js';

/** Scores as "accuracy 0.9500, f1_macro 0.9412"; primary first. Pure. */
export function formatScores(scores: Readonly<Record<string, number>> | null | undefined, primary?: string): string {
  if (!scores) return '-';
  const names = Object.keys(scores).sort((a, b) => Number(b === primary) - Number(a === primary) || a.localeCompare(b));
  if (names.length === 0) return '-';
  return names.map((n) => `${n} ${formatScore(scores[n])}`).join(', ');
}

/** One score for people: four decimals, or "-". Pure. */
export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(4);
}

/**
 * The one line that explains a failed run, and the advice line after it: the server's (which knows
 * whether the log is shown), else the general one for the reason. Pure.
 */
export function describeFailure(reason: string | null | undefined, message: string | null | undefined, serverAdvice?: string | null): string {
  const advice = serverAdvice ?? (reason && Object.hasOwn(reasonAdvice, reason) ? reasonAdvice[reason as FailureReason] : undefined);
  return `${reason ?? 'failed'}: ${message ?? 'no reason given'}${advice ? `\n  ${advice}` : ''}`;
}
