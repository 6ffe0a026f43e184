import type { Phase } from './competition.js';

/** The phase open at `now`, if any. Phases may not overlap (the bundle validator checks it). */
export function currentPhase(phases: readonly Phase[], now: Date): Phase | undefined {
  return phases.find((p) => p.start <= now && (p.end === undefined || now < p.end));
}

/** The UTC calendar day a quota is counted on, as YYYY-MM-DD. */
export function quotaDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The start of the compute-budget week holding `now`: Monday 00:00 UTC. */
export function budgetWeekStart(now: Date): Date {
  const day = (now.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - day));
}
