import { formatBytes } from './format-bytes.js';
/**
 * What one run used, as far as its executor could measure. A field is undefined where the
 * executor cannot tell (a Kubernetes cluster without a metrics API, a kernel without
 * `memory.peak`): unknown is never shown as zero.
 */
export interface ResourceUsage {
  /** Wall time of the entry point. */
  wallMs: number;
  /** CPU time (user + system) of every process of the run. */
  cpuMs?: number;
  /** Highest memory use of the run's processes together (the memory cgroup's peak). */
  peakMemoryBytes?: number;
  /** GPU time: seconds the run held its GPUs, summed over them. */
  gpuMs?: number;
  /**
   * True when `gpuMs` is wall time × GPUs assigned (no driver counter was read), so a run that
   * idles its GPU is counted as using it.
   */
  gpuEstimated?: boolean;
  /** Highest GPU memory use, where the driver tells. */
  peakGpuMemoryBytes?: number;
}

/**
 * Prize eligibility limits of a competition ("runs in under 2 hours in 8 GiB"): a result over one
 * still ranks, but is marked not eligible for prizes. Every field is optional.
 */
export interface PrizeLimits {
  wallMs?: number;
  cpuMs?: number;
  peakMemoryBytes?: number;
  gpuMs?: number;
  peakGpuMemoryBytes?: number;
}

/** The measures a leaderboard may show as columns, by their competition.yaml names. */
export const resourceColumns = ['wall_time', 'cpu_time', 'peak_memory', 'gpu_time', 'peak_gpu_memory'] as const;
export type ResourceColumn = (typeof resourceColumns)[number];

/** The ResourceUsage field behind each column. */
export const resourceColumnField: Readonly<Record<ResourceColumn, keyof PrizeLimits>> = {
  wall_time: 'wallMs',
  cpu_time: 'cpuMs',
  peak_memory: 'peakMemoryBytes',
  gpu_time: 'gpuMs',
  peak_gpu_memory: 'peakGpuMemoryBytes',
};

const measures = [
  ['wallMs', 'wall time', 'ms'],
  ['cpuMs', 'CPU time', 'ms'],
  ['peakMemoryBytes', 'peak memory', 'bytes'],
  ['gpuMs', 'GPU time', 'ms'],
  ['peakGpuMemoryBytes', 'peak GPU memory', 'bytes'],
] as const;


/** "1h 2m 3s", "2h", "4.2s". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))}s`;
  const s = Math.round(ms / 1000);
  const parts = [[Math.floor(s / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  return parts.filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join(' ');
}

const format = (kind: 'ms' | 'bytes', value: number) => (kind === 'ms' ? formatDuration(value) : formatBytes(value));

/**
 * Why a run is not eligible for prizes: one sentence per limit it passed or could not be
 * checked against (a measure the executor did not report cannot prove the limit was kept).
 * Empty: eligible. Pure.
 */
export function prizeIneligibility(usage: Partial<ResourceUsage> | undefined, limits: PrizeLimits | undefined): string[] {
  if (!limits) return [];
  const reasons: string[] = [];
  for (const [key, words, kind] of measures) {
    const limit = limits[key];
    if (limit === undefined) continue;
    const used = usage?.[key];
    if (used === undefined) reasons.push(`${words} was not measured for this run, so the prize limit of ${format(kind, limit)} cannot be checked`);
    else if (used > limit) reasons.push(`${words} ${format(kind, used)} is over the prize limit of ${format(kind, limit)}`);
  }
  return reasons;
}
