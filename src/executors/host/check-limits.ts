import type { Limits } from '../../domain/limits.js';

/** Limits come from validated configuration; a nonsensical one is our bug, not the run's. */
export function checkLimits(limits: Limits): void {
  const positive = ['wallTimeMs', 'memoryBytes', 'pids'] as const;
  for (const key of positive) {
    if (!Number.isFinite(limits[key]) || limits[key] <= 0) throw new Error(`limits.${key} must be positive, got ${limits[key]}`);
  }
  if (!Number.isInteger(limits.pids)) throw new Error(`limits.pids must be an integer, got ${limits.pids}`);
  for (const key of ['outputBytes', 'logBytes', 'cpus'] as const) {
    if (!Number.isFinite(limits[key]) || limits[key] < 0) throw new Error(`limits.${key} must be zero or more, got ${limits[key]}`);
  }
  if (!Number.isInteger(limits.gpus) || limits.gpus < 0) throw new Error(`limits.gpus must be a whole number, got ${limits.gpus}`);
}
