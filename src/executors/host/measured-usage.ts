import type { ResourceUsage } from '../../domain/resource-usage.js';
import type { CgroupUsage } from './run-cgroup.js';

/**
 * A run's usage from its cgroup counters and its wall time. GPU time is wall time × GPUs
 * assigned (`gpuEstimated`): the executors do not read a driver counter (nvidia-smi's
 * accounting mode is off by default and needs root to enable), and peak GPU memory is left
 * unknown for the same reason.
 */
export function measuredUsage(wallMs: number, counted: CgroupUsage, gpus: number): ResourceUsage {
  return {
    wallMs,
    ...counted,
    ...(gpus > 0 ? { gpuMs: Math.round(wallMs * gpus), gpuEstimated: true } : {}),
  };
}
