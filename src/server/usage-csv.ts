import type { ResourceUsage } from '../domain/resource-usage.js';

/** CSV columns of a run's resource use beside run_ms (its wall time); empty where not measured. */
export const usageCsvColumns = ['cpu_ms', 'peak_memory_bytes', 'gpu_ms', 'gpu_ms_estimated', 'peak_gpu_memory_bytes'] as const;

export function usageCsvValues(u: ResourceUsage | undefined): unknown[] {
  if (!u) return usageCsvColumns.map(() => null);
  return [u.cpuMs, u.peakMemoryBytes, u.gpuMs, u.gpuMs === undefined ? null : (u.gpuEstimated ?? false), u.peakGpuMemoryBytes];
}
