import type { UpdateObject } from 'kysely';
import type { ResourceUsage } from '../domain/resource-usage.js';
import type { Database, SubmissionRow } from './schema.js';

/** The submission columns of a run's usage; unknown measures are null. */
export function usageColumns(u: ResourceUsage): UpdateObject<Database, 'submissions'> {
  return {
    cpu_ms: u.cpuMs ?? null,
    peak_memory_bytes: u.peakMemoryBytes ?? null,
    gpu_ms: u.gpuMs ?? null,
    gpu_estimated: u.gpuEstimated ? 1 : 0,
    peak_gpu_memory_bytes: u.peakGpuMemoryBytes ?? null,
  };
}

/** A submission row's usage as recorded, or undefined before it ran. */
export function usageOf(s: Pick<SubmissionRow, 'run_ms' | 'cpu_ms' | 'peak_memory_bytes' | 'gpu_ms' | 'gpu_estimated' | 'peak_gpu_memory_bytes'>): ResourceUsage | undefined {
  if (s.run_ms === null) return undefined;
  const n = (v: number | string | null) => (v === null ? undefined : Number(v));
  const optional = { cpuMs: n(s.cpu_ms), peakMemoryBytes: n(s.peak_memory_bytes), gpuMs: n(s.gpu_ms), peakGpuMemoryBytes: n(s.peak_gpu_memory_bytes) };
  const known = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) as Partial<ResourceUsage>;
  return { wallMs: Number(s.run_ms), ...known, ...(s.gpu_estimated === 1 && known.gpuMs !== undefined ? { gpuEstimated: true } : {}) };
}
