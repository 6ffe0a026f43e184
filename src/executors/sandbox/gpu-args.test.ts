import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultLayout } from '../../domain/limits.js';
import type { GpuHost } from '../gpu-host.js';
import { buildBwrapArgs } from './bwrap-args.js';
import { buildGpuArgs, gpuDriverDir } from './gpu-args.js';
import { hostRuntime } from './sandbox-runtime.js';

const host: GpuHost = {
  gpus: [0, 1, 2].map((i) => ({
    id: String(i),
    device: `/dev/nvidia${i}`,
    uuid: `GPU-${i}`,
    procEntry: `/proc/driver/nvidia/gpus/0000:1${i}:00.0`,
  })),
  controlDevices: ['/dev/nvidiactl', '/dev/nvidia-uvm'],
  driverFiles: [
    { source: '/usr/lib/x86_64-linux-gnu/libcuda.so.550.54', name: 'libcuda.so.1', kind: 'lib' },
    { source: '/usr/bin/nvidia-smi', name: 'nvidia-smi', kind: 'bin' },
  ],
};

/** [flag, source, destination] of every occurrence of `flag`. */
function triples(args: readonly string[], flag: string): string[][] {
  return args.flatMap((a, i) => (a === flag ? [[a, args[i + 1]!, args[i + 2]!]] : []));
}

describe('buildGpuArgs', () => {
  it('binds the assigned GPUs and the control nodes, and no other GPU', () => {
    const { args } = buildGpuArgs(host, ['2', '0']);
    assert.deepEqual(triples(args, '--dev-bind'), [
      ['--dev-bind', '/dev/nvidiactl', '/dev/nvidiactl'],
      ['--dev-bind', '/dev/nvidia-uvm', '/dev/nvidia-uvm'],
      ['--dev-bind', '/dev/nvidia2', '/dev/nvidia2'],
      ['--dev-bind', '/dev/nvidia0', '/dev/nvidia0'],
    ]);
    assert.ok(!args.includes('/dev/nvidia1'));
  });

  it("hides the other GPUs' driver entries in /proc, so NVML lists the assigned ones only", () => {
    const { args } = buildGpuArgs(host, ['1']);
    const hidden = args.flatMap((a, i) => (a === '--tmpfs' ? [args[i + 1]] : []));
    assert.deepEqual(hidden, [host.gpus[0]!.procEntry, host.gpus[2]!.procEntry]);
  });

  it("binds the host's driver files read-only outside /usr and points the run at them", () => {
    const { args, env } = buildGpuArgs(host, ['1']);
    assert.deepEqual(triples(args, '--ro-bind'), [
      ['--ro-bind', '/usr/lib/x86_64-linux-gnu/libcuda.so.550.54', `${gpuDriverDir}/lib/libcuda.so.1`],
      ['--ro-bind', '/usr/bin/nvidia-smi', `${gpuDriverDir}/bin/nvidia-smi`],
    ]);
    const made = args.flatMap((a, i) => (a === '--dir' && args[i - 2] === '--perms' && args[i - 1] === '0755' ? [args[i + 1]] : []));
    assert.deepEqual(made, ['/opt', gpuDriverDir, `${gpuDriverDir}/bin`, `${gpuDriverDir}/lib`], 'folders the run may enter');
    assert.equal(env.LD_LIBRARY_PATH, `${gpuDriverDir}/lib`);
    assert.match(env.PATH ?? '', new RegExp(`^${gpuDriverDir}/bin:`));
  });

  it('names the assigned GPUs by UUID in CUDA_VISIBLE_DEVICES, or by their order in the run without UUIDs', () => {
    assert.deepEqual(buildGpuArgs(host, ['2', '0']).env.CUDA_VISIBLE_DEVICES, 'GPU-2,GPU-0');
    const anonymous: GpuHost = { ...host, gpus: host.gpus.map(({ uuid: _u, ...g }) => g), driverFiles: [] };
    const { env } = buildGpuArgs(anonymous, ['2', '0']);
    assert.deepEqual([env.CUDA_VISIBLE_DEVICES, env.NVIDIA_VISIBLE_DEVICES, env.HOLDOUT_GPUS, env.PATH], ['0,1', '0,1', '2', undefined]);
  });

  it('adds nothing for a run without GPUs, and refuses unknown or doubly assigned ids', () => {
    assert.deepEqual(buildGpuArgs(host, []), { args: [], env: {} });
    assert.throws(() => buildGpuArgs(host, ['3']), /GPU 3 was assigned to a run but this host has no \/dev\/nvidia3/);
    assert.throws(() => buildGpuArgs(host, ['1', '1']), /assigned twice/);
  });

  it('comes after the fresh /proc and /dev in the bubblewrap command line, which it adds to', () => {
    const { args, env } = buildGpuArgs(host, ['1']);
    const full = buildBwrapArgs({
      rootArgs: hostRuntime.rootArgs,
      layout: defaultLayout,
      hostPaths: { code: '/ws/src', output: '/ws/output', data: '/data' },
      etcFiles: { passwd: '/p', group: '/g', hosts: '/h' },
      uid: 61001,
      command: ['python', 'main.py'],
      env,
      deviceArgs: args,
    });
    const at = (flag: string, value: string) => full.findIndex((a, i) => a === flag && full[i + 1] === value);
    assert.ok(at('--proc', '/proc') < at('--dev-bind', '/dev/nvidia1') && at('--dev', '/dev') < at('--dev-bind', '/dev/nvidia1'));
    assert.ok(at('--dev-bind', '/dev/nvidia1') < full.lastIndexOf('--remount-ro'));
    assert.equal(full[full.indexOf('CUDA_VISIBLE_DEVICES') + 1], 'GPU-1');
  });
});
