import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { dropPidLock, takePidLock } from './pid-lock.js';

/** One NVIDIA GPU of this host. */
export interface HostGpu {
  /** The device minor number, as in /dev/nvidia<id>: how workers and runs name a GPU. */
  id: string;
  /** Host path of its device node. */
  device: string;
  /** "GPU-…", as `nvidia-smi -L` and CUDA_VISIBLE_DEVICES spell it; undefined when the driver does not say. */
  uuid?: string;
  model?: string;
  /**
   * Its folder under /proc/driver/nvidia/gpus (named by PCI bus id), which a run's /proc shows
   * unless hidden; undefined when discovery read another folder than the kernel's.
   */
  procEntry?: string;
}

/** What a run needs from the host to use GPUs: the GPUs, the shared control nodes and the driver's user-space files. */
export interface GpuHost {
  gpus: readonly HostGpu[];
  /** nvidiactl, nvidia-uvm…: every run with a GPU needs them; they do not give access to any GPU by themselves. */
  controlDevices: readonly string[];
  /**
   * Driver libraries (libcuda, libnvidia-ml…) and nvidia-smi. They must match the host's kernel
   * module, so they come from the host, never from a runtime: `name` is the file name a run sees.
   */
  driverFiles: readonly { source: string; name: string; kind: 'lib' | 'bin' }[];
}

/** Where `discoverGpus` looks. Tests point `devDir` at a folder of stand-in device nodes. */
export interface GpuDiscoveryOptions {
  /** @defaultValue "/dev" */
  devDir?: string;
  /** @defaultValue "/proc/driver/nvidia/gpus" */
  procDir?: string;
  /** Look up the driver's libraries with `ldconfig -p`. @defaultValue true */
  driverFiles?: boolean;
  /** Which libraries of the linker's cache are the driver's. @defaultValue NVIDIA's compute and utility libraries */
  driverLibrary?: RegExp;
}

const kernelProcDir = '/proc/driver/nvidia/gpus';
const controlNames = ['nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools', 'nvidia-modeset'];
/** The driver libraries CUDA, NVML and PTX JIT load (nvidia-container-toolkit's "compute" and "utility" sets). */
const nvidiaLibrary = /^lib(cuda|cudadebugger|nvidia-(ml|ptxjitcompiler|nvvm|gpucomp|opencl|cfg|allocator))\.so(\.\d+)*$/;

async function isCharDevice(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isCharacterDevice(), () => false);
}

/** Fields of /proc/driver/nvidia/gpus/<bus>/information, by device minor. */
async function procInfo(procDir: string): Promise<Map<string, Pick<HostGpu, 'uuid' | 'model' | 'procEntry'>>> {
  const byMinor = new Map<string, Pick<HostGpu, 'uuid' | 'model' | 'procEntry'>>();
  const entries = await readdir(procDir).catch(() => []);
  for (const bus of entries) {
    const text = await readFile(path.join(procDir, bus, 'information'), 'utf8').catch(() => '');
    const field = (name: string) => text.match(new RegExp(`^${name}:\\s*(.+?)\\s*$`, 'm'))?.[1];
    const minor = field('Device Minor');
    if (minor === undefined) continue;
    const uuid = field('GPU UUID');
    const model = field('Model');
    const procEntry = procDir === kernelProcDir ? path.join(kernelProcDir, bus) : undefined;
    byMinor.set(minor, { ...(uuid ? { uuid } : {}), ...(model ? { model } : {}), ...(procEntry ? { procEntry } : {}) });
  }
  return byMinor;
}

/** The driver's files as the dynamic linker's cache lists them (x86-64 or aarch64 only), plus nvidia-smi. */
async function findDriverFiles(driverLibrary: RegExp): Promise<GpuHost['driverFiles']> {
  const { stdout } = await promisify(execFile)('/sbin/ldconfig', ['-p']).catch(() => ({ stdout: '' }));
  const files: { source: string; name: string; kind: 'lib' | 'bin' }[] = [];
  const seen = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = line.match(/^\s*(\S+) \(([^)]*)\) => (\S+)$/);
    if (!m || !driverLibrary.test(m[1]!) || !/x86-64|AArch64/.test(m[2]!) || seen.has(m[1]!)) continue;
    seen.add(m[1]!);
    files.push({ source: await realpath(m[3]!).catch(() => m[3]!), name: m[1]!, kind: 'lib' });
  }
  if (files.length > 0 && (await stat('/usr/bin/nvidia-smi').catch(() => undefined))?.isFile()) {
    files.push({ source: '/usr/bin/nvidia-smi', name: 'nvidia-smi', kind: 'bin' });
  }
  return files;
}

/** Finds this host's NVIDIA GPUs: /dev/nvidia<N> character devices, named by the driver's /proc entries. */
export async function discoverGpus(options: GpuDiscoveryOptions = {}): Promise<GpuHost> {
  const devDir = options.devDir ?? '/dev';
  const names = await readdir(devDir).catch(() => []);
  const info = await procInfo(options.procDir ?? kernelProcDir);
  const gpus: HostGpu[] = [];
  for (const name of names) {
    const id = name.match(/^nvidia(\d+)$/)?.[1];
    const device = path.join(devDir, name);
    if (id !== undefined && (await isCharDevice(device))) gpus.push({ id, device, ...info.get(id) });
  }
  gpus.sort((a, b) => Number(a.id) - Number(b.id));
  const controlDevices: string[] = [];
  for (const name of controlNames) {
    if (await isCharDevice(path.join(devDir, name))) controlDevices.push(path.join(devDir, name));
  }
  const driverFiles = gpus.length > 0 && options.driverFiles !== false ? await findDriverFiles(options.driverLibrary ?? nvidiaLibrary) : [];
  return { gpus, controlDevices, driverFiles };
}

/**
 * The GPUs a worker offers: "all", "none"/"" or a comma-separated list of ids (device minors).
 * @throws Error naming an id this host does not have.
 */
export function selectGpus(host: GpuHost, wanted: string): HostGpu[] {
  const spec = wanted.trim();
  if (spec === '' || spec === 'none') return [];
  if (spec === 'all') return [...host.gpus];
  const ids = [...new Set(spec.split(',').map((s) => s.trim()).filter(Boolean))];
  return ids.map((id) => {
    const gpu = host.gpus.find((g) => g.id === id);
    if (!gpu) {
      const have = host.gpus.map((g) => g.id).join(', ') || 'none';
      throw new Error(`GPU ${id} is not on this host (it has: ${have}); ids are N of /dev/nvidiaN, or use "all"`);
    }
    return gpu;
  });
}

/**
 * Holds `gpus` for this process until the returned function is called: a pid lock per device
 * node in `lockDir`, so that two workers of one host never hand the same GPU to two runs.
 * @throws Error naming the process that holds a GPU already (the locks taken so far are given back).
 */
export function lockGpus(gpus: readonly HostGpu[], lockDir = '/run/holdout/gpus'): () => void {
  if (gpus.length === 0) return () => undefined;
  mkdirSync(lockDir, { recursive: true, mode: 0o700 });
  const held: string[] = [];
  const release = () => held.splice(0).forEach(dropPidLock);
  for (const gpu of gpus) {
    // Named by the device node, not the id: stand-in nodes in a test never collide with real ones.
    const file = path.join(lockDir, `${gpu.device.replaceAll('/', '_')}.lock`);
    const owner = takePidLock(file);
    if (owner !== undefined) {
      release();
      throw new Error(`GPU ${gpu.id} (${gpu.device}) is already offered by process ${owner} on this host; give each worker its own GPUs (HOLDOUT_WORKER_GPUS)`);
    }
    held.push(file);
  }
  return release;
}
