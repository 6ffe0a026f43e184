import type { ComputeBudget } from './competition.js';
import { formatDuration } from './resource-usage.js';

/** Compute used so far in a budget week. */
export interface ComputeUsed {
  cpuMs: number;
  gpuMs: number;
}

/** What is used and left of each budgeted measure, for the participant's page. Pure. */
export function budgetStanding(used: ComputeUsed, budget: ComputeBudget) {
  const of = (u: number, limit: number | undefined) => (limit === undefined ? null : { usedMs: u, limitMs: limit, leftMs: Math.max(0, limit - u) });
  return { cpu: of(used.cpuMs, budget.cpuMs), gpu: of(used.gpuMs, budget.gpuMs) };
}

/**
 * Why a new submission is refused by the weekly budget, in words; null while budget is left.
 * A run admitted with budget left runs to its end and counts once, even past the budget: the
 * next submission is refused instead of the running one being scored twice or cut. Pure.
 */
export function budgetRefusal(used: ComputeUsed, budget: ComputeBudget): string | null {
  const spent = [
    ['CPU', used.cpuMs, budget.cpuMs],
    ['GPU', used.gpuMs, budget.gpuMs],
  ] as const;
  for (const [what, u, limit] of spent) {
    if (limit !== undefined && u >= limit) return `used ${formatDuration(u)} of ${what} time of this week's budget of ${formatDuration(limit)}`;
  }
  return null;
}
