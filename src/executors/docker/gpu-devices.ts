import type { GpuHost } from '../gpu-host.js';
import { buildGpuArgs, gpuDriverDir } from '../sandbox/gpu-args.js';

/** What makes exactly `assigned` GPUs usable in a container. */
export interface ContainerGpus {
  devices: { host: string; container: string }[];
  binds: string[];
  env: Record<string, string>;
}

/**
 * The device nodes and driver files of the assigned GPUs, at the paths the sandbox uses (nodes at
 * /dev/nvidiaN, driver files under /opt/nvidia), and the same environment (CUDA_VISIBLE_DEVICES by
 * UUID, LD_LIBRARY_PATH), so a run sees the same GPUs whichever executor starts it. Pure.
 * @remarks The container's /dev holds only the nodes passed here; unlike the sandbox it does not
 * hide the other GPUs' /proc/driver/nvidia entries (names and bus ids, not access).
 * @throws Error for an id the host does not have, or a GPU assigned twice.
 */
export function containerGpus(host: GpuHost, assigned: readonly string[]): ContainerGpus {
  // The sandbox's rules decide which GPUs and which variables: one place for both executors.
  const { env } = buildGpuArgs(host, assigned);
  if (assigned.length === 0) return { devices: [], binds: [], env: {} };
  const devices = host.controlDevices.map((d) => ({ host: d, container: `/dev/${d.split('/').pop()}` }));
  for (const id of assigned) {
    const gpu = host.gpus.find((g) => g.id === id);
    if (gpu) devices.push({ host: gpu.device, container: `/dev/nvidia${gpu.id}` });
  }
  const binds = host.driverFiles.map((f) => `${f.source}:${gpuDriverDir}/${f.kind}/${f.name}:ro`);
  return { devices, binds, env };
}
