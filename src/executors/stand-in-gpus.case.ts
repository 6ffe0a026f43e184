import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

// Test helper (a .case file: kept out of the build).

/** Folders that look like a GPU host's /dev and /proc/driver/nvidia/gpus to `discoverGpus`. */
export interface StandInGpus {
  devDir: string;
  procDir: string;
  /** "GPU-…" of stand-in i, as its /proc entry says. */
  uuid(id: number): string;
}

/** Why stand-in device nodes cannot be made here, or undefined when they can. */
export const standInGpusSkip = process.getuid?.() !== 0 ? 'creating device nodes (mknod) needs root' : undefined;

/**
 * Makes `count` stand-in GPUs: /dev/nvidia<i> and the control nodes, each a character device with
 * /dev/null's numbers (harmless to open anywhere, a GPU host included), mode 0666 like the
 * driver's, and a /proc entry per GPU with its UUID. What the sandbox does with a GPU (bind its
 * node, hide the others) does not depend on what the node is.
 */
export async function makeStandInGpus(count: number): Promise<StandInGpus> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'holdout-gpus-'));
  const devDir = path.join(root, 'dev');
  const procDir = path.join(root, 'proc');
  await mkdir(devDir);
  await mkdir(procDir);
  const uuid = (i: number) => `GPU-00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const nodes = ['nvidiactl', 'nvidia-uvm', ...Array.from({ length: count }, (_, i) => `nvidia${i}`)];
  for (const name of nodes) await promisify(execFile)('mknod', ['-m', '0666', path.join(devDir, name), 'c', '1', '3']);
  for (let i = 0; i < count; i++) {
    const bus = path.join(procDir, `0000:${String(16 + i).padStart(2, '0')}:00.0`);
    await mkdir(bus);
    await writeFile(path.join(bus, 'information'), `Model: \t\t Stand-in GPU\nGPU UUID: \t ${uuid(i)}\nBus Location: \t ${path.basename(bus)}\nDevice Minor: \t ${i}\n`);
  }
  return { devDir, procDir, uuid };
}
