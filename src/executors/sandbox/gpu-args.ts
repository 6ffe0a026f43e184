import type { GpuHost } from '../gpu-host.js';
import { basePath } from '../host/run-environment.js';

/** Where a run finds the host's driver files: outside /usr, so they also reach runtimes built without them. */
export const gpuDriverDir = '/opt/nvidia';

/** What a run with GPUs adds to bubblewrap's command line and to its environment. */
export interface GpuRunArgs {
  /** Placed after `--proc /proc` and `--dev /dev`, which they add to. */
  args: string[];
  env: Record<string, string>;
}

/**
 * The bubblewrap arguments that make exactly `assigned` GPUs usable in a run. Pure.
 *
 * The run's /dev is a fresh tmpfs holding only the basic nodes, so a GPU whose node is not bound
 * does not exist there, and with no capabilities the run cannot create one. The driver's
 * /proc entries of the other GPUs are hidden as well, so NVML (nvidia-smi) lists the assigned ones
 * only, as nvidia-container-toolkit does. CUDA_VISIBLE_DEVICES names the GPUs by UUID, which means
 * the same in every enumeration order.
 * @throws Error for an id the host does not have, or a GPU assigned twice.
 */
export function buildGpuArgs(host: GpuHost, assigned: readonly string[]): GpuRunArgs {
  if (assigned.length === 0) return { args: [], env: {} };
  if (new Set(assigned).size !== assigned.length) throw new Error(`a GPU is assigned twice: ${assigned.join(',')}`);
  const gpus = assigned.map((id) => {
    const gpu = host.gpus.find((g) => g.id === id);
    if (!gpu) throw new Error(`GPU ${id} was assigned to a run but this host has no /dev/nvidia${id}`);
    return gpu;
  });
  const args: string[] = [];
  for (const device of host.controlDevices) args.push('--dev-bind', device, `/dev/${device.split('/').pop()}`);
  for (const gpu of gpus) args.push('--dev-bind', gpu.device, `/dev/nvidia${gpu.id}`);
  for (const other of host.gpus) {
    if (!assigned.includes(other.id) && other.procEntry) args.push('--tmpfs', other.procEntry);
  }
  const env: Record<string, string> = {};
  const libs = host.driverFiles.filter((f) => f.kind === 'lib');
  if (host.driverFiles.length > 0) {
    // Folders bwrap makes for a bind are root's alone (0700): the run's uid could not enter them.
    const kinds = [...new Set(host.driverFiles.map((f) => f.kind))].sort();
    for (const dir of ['/opt', gpuDriverDir, ...kinds.map((k) => `${gpuDriverDir}/${k}`)]) args.push('--perms', '0755', '--dir', dir);
  }
  for (const file of host.driverFiles) args.push('--ro-bind', file.source, `${gpuDriverDir}/${file.kind}/${file.name}`);
  if (libs.length > 0) env.LD_LIBRARY_PATH = `${gpuDriverDir}/lib`;
  if (host.driverFiles.some((f) => f.kind === 'bin')) env.PATH = `${gpuDriverDir}/bin:${basePath}`;
  // UUIDs when the driver names every GPU; otherwise the run's own enumeration, in which only the
  // bound GPUs exist, in id order.
  const names = gpus.every((g) => g.uuid) ? gpus.map((g) => g.uuid!) : gpus.map((_, i) => String(i));
  env.CUDA_VISIBLE_DEVICES = names.join(',');
  env.NVIDIA_VISIBLE_DEVICES = names.join(',');
  env.HOLDOUT_GPUS = String(gpus.length);
  return { args, env };
}
