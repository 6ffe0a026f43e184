import type { ResourceColumn, Usage } from './api.js';
import { fmtBytes, fmtMs } from './dom.js';

/** Column titles and the Usage field of each resource column a leaderboard may show. */
export const resourceColumn: Readonly<Record<ResourceColumn, { title: string; field: keyof Usage; bytes: boolean }>> = {
  wall_time: { title: 'Run time', field: 'wallMs', bytes: false },
  cpu_time: { title: 'CPU time', field: 'cpuMs', bytes: false },
  peak_memory: { title: 'Peak memory', field: 'peakMemoryBytes', bytes: true },
  gpu_time: { title: 'GPU time', field: 'gpuMs', bytes: false },
  peak_gpu_memory: { title: 'Peak GPU memory', field: 'peakGpuMemoryBytes', bytes: true },
};

/** One measure in words; "not measured" rather than a zero the executor never read. */
export function fmtMeasure(value: number | null | undefined, bytes: boolean): string {
  if (value === null || value === undefined) return 'not measured';
  return bytes ? fmtBytes(value) : fmtMs(value);
}

/** "CPU time 1.2 s · peak memory 96 MiB of 2 GiB · GPU time 3.0 s (wall time × GPUs)". */
export function usageInWords(u: Usage | null, limits?: { memoryBytes: number }): string {
  if (!u) return 'not measured yet (the run has not ended)';
  const parts = [`CPU time ${fmtMeasure(u.cpuMs, false)}`, `peak memory ${fmtMeasure(u.peakMemoryBytes, true)}${limits && u.peakMemoryBytes !== undefined ? ` of ${fmtBytes(limits.memoryBytes)}` : ''}`];
  if (u.gpuMs !== undefined) parts.push(`GPU time ${fmtMs(u.gpuMs)}${u.gpuEstimated ? ' (wall time × GPUs: the driver was not asked)' : ''}`);
  if (u.peakGpuMemoryBytes !== undefined) parts.push(`peak GPU memory ${fmtBytes(u.peakGpuMemoryBytes)}`);
  return parts.join(' · ');
}
