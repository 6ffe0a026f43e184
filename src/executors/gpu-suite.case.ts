import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Executor } from './executor.js';
import { SuiteHarness } from './executor-suite-harness.case.js';
import { discoverGpus, type GpuDiscoveryOptions } from './gpu-host.js';
import { makeStandInGpus, type StandInGpus, standInGpusSkip } from './stand-in-gpus.case.js';

/*
 * A run sees exactly the GPUs assigned to it, whichever executor runs it. Stand-in device nodes
 * prove what the executor does (pass the assigned nodes, set the environment) on any root host; a
 * real GPU host also runs nvidia-smi and CUDA inside the run.
 */

/** Makes the executor under test with a workspace folder and a GPU discovery of the test's own. */
export type GpuExecutorFactory = (options: { workspaceRoot: string; gpus?: GpuDiscoveryOptions }) => Executor;

/** The GPU tests of one executor (a .case file: kept out of the build like the conformance suite). */
export function runGpuSuite(name: string, make: GpuExecutorFactory, hostSkip?: string): void {
  const skip = hostSkip ?? standInGpusSkip;
  const scratch = path.join(os.tmpdir(), `holdout-gpu-test-${randomUUID()}`);
  after(() => rm(scratch, { recursive: true, force: true }));

  /** What a run reports about the GPUs it sees. */
  const probe = `
import json, os
nodes = sorted(n for n in os.listdir("/dev") if n.startswith("nvidia"))
opened = []
for n in nodes:
    os.close(os.open("/dev/" + n, os.O_RDWR))
    opened.append(n)
try:
    # In /tmp, which the run may write: only the missing capability can refuse it.
    os.mknod("/tmp/nvidia0", 0o20666, os.makedev(1, 3))
    made = "created"
except OSError as e:
    made = e.strerror
env = {k: os.environ.get(k) for k in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "HOLDOUT_GPUS")}
print(json.dumps({"nodes": nodes, "opened": opened, "mknod": made, "env": env}))
`;

  describe(`${name} runs with stand-in GPUs`, { skip }, () => {
    let gpus: StandInGpus;
    let harness: SuiteHarness;
    before(async () => {
      gpus = await makeStandInGpus(3);
      const executor = make({ workspaceRoot: path.join(scratch, 'ws'), gpus: { devDir: gpus.devDir, procDir: gpus.procDir } });
      // As a worker that offers them does at start: a trial run with every GPU assigned.
      await executor.check({ gpus: ['0', '1', '2'] });
      harness = new SuiteHarness(() => executor, scratch);
    });
    after(() => rm(path.dirname(gpus.devDir), { recursive: true, force: true }));

    const seen = (log: string) => JSON.parse(log.trim().split('\n').pop() ?? '{}') as { nodes: string[]; opened: string[]; mknod: string; env: Record<string, string | null> };

    it('shows a run its assigned GPU and the control nodes, names it in the environment, and nothing else', async () => {
      await harness.withRun(probe, { limits: { gpus: 1 }, gpus: ['1'] }, ({ result, log }) => {
        assert.equal(result.exitCode, 0, log);
        const s = seen(log);
        assert.deepEqual(s.nodes, ['nvidia-uvm', 'nvidia1', 'nvidiactl']);
        assert.deepEqual(s.opened, s.nodes, 'the run can open what it was given');
        assert.equal(s.mknod, 'Operation not permitted', 'and cannot make another GPU node');
        assert.deepEqual(s.env, { CUDA_VISIBLE_DEVICES: gpus.uuid(1), NVIDIA_VISIBLE_DEVICES: gpus.uuid(1), HOLDOUT_GPUS: '1' });
      });
    });

    it('gives two runs at once their own GPUs, and a run without GPUs none', async () => {
      const [a, b, none] = await Promise.all([
        harness.runPython(probe, { limits: { gpus: 2 }, gpus: ['0', '2'] }),
        harness.runPython(probe, { limits: { gpus: 1 }, gpus: ['1'] }),
        harness.runPython(probe),
      ]);
      try {
        assert.deepEqual(seen(a.log).nodes, ['nvidia-uvm', 'nvidia0', 'nvidia2', 'nvidiactl']);
        assert.equal(seen(a.log).env.CUDA_VISIBLE_DEVICES, `${gpus.uuid(0)},${gpus.uuid(2)}`);
        assert.deepEqual(seen(b.log).nodes, ['nvidia-uvm', 'nvidia1', 'nvidiactl']);
        assert.deepEqual(seen(none.log), { nodes: [], opened: [], mknod: 'Operation not permitted', env: { CUDA_VISIBLE_DEVICES: null, NVIDIA_VISIBLE_DEVICES: null, HOLDOUT_GPUS: null } });
        // No driver counter is read: GPU time is the time each GPU was held.
        assert.deepEqual([a.result.usage?.gpuMs, a.result.usage?.gpuEstimated], [Math.round(a.result.wallMs * 2), true]);
        assert.equal(b.result.usage?.gpuMs, Math.round(b.result.wallMs));
        assert.equal(none.result.usage?.gpuMs, undefined);
      } finally {
        await Promise.all([a, b, none].map((r) => r.result.dispose()));
      }
    });

    it("gives the run the host's driver libraries, read-only, on its library path", async () => {
      // zlib stands in for libcuda: the binding does not depend on which library it is.
      const withDriver = make({
        workspaceRoot: path.join(scratch, 'ws-driver'),
        gpus: { devDir: gpus.devDir, procDir: gpus.procDir, driverLibrary: /^libz\.so\.1$/ },
      });
      const program = `
import ctypes, os
print(os.listdir("/opt/nvidia/lib"), os.environ["LD_LIBRARY_PATH"])
print(ctypes.CDLL("/opt/nvidia/lib/libz.so.1").zlibVersion() is not None)
# The mount's own options, whatever the file's permissions: read-only for everyone.
mount = [l.split() for l in open("/proc/self/mountinfo") if l.split()[4] == "/opt/nvidia/lib/libz.so.1"][-1]
print("mount", mount[5].split(",")[0])
`;
      await new SuiteHarness(() => withDriver, scratch).withRun(program, { limits: { gpus: 1 }, gpus: ['0'] }, ({ result, log }) => {
        assert.equal(result.exitCode, 0, log);
        assert.deepEqual(log.trim().split('\n'), ["['libz.so.1'] /opt/nvidia/lib", 'True', 'mount ro']);
      });
    });

    it('refuses, as a platform error, a run whose GPUs do not match its limits or this host', async () => {
      await assert.rejects(harness.runPython(probe, { limits: { gpus: 1 } }), /needs 1 GPU\(s\) but 0 were assigned/);
      await assert.rejects(harness.runPython(probe, { limits: { gpus: 1 }, gpus: ['7'] }), /this host has no \/dev\/nvidia7/);
      const elsewhere = make({ workspaceRoot: path.join(scratch, 'ws-none'), gpus: { devDir: path.join(scratch, 'no-such-dev') } });
      await assert.rejects(elsewhere.check({ gpus: ['0'] }), /this host has no \/dev\/nvidia0/, 'a worker checks the GPUs it offers at start');
    });
  });

  const realGpu = existsSync('/dev/nvidia0') && existsSync('/usr/bin/nvidia-smi');
  describe(`${name} runs on a real GPU host`, { skip: skip ?? (realGpu ? undefined : 'no NVIDIA GPU here (/dev/nvidia0 or nvidia-smi missing): the GPU run test needs a GPU machine') }, () => {
    it('nvidia-smi and CUDA in the run see exactly the assigned GPU', async () => {
      const executor = make({ workspaceRoot: path.join(scratch, 'real') });
      await executor.check();
      const host = await discoverGpus();
      const last = host.gpus.at(-1)!;
      const harness = new SuiteHarness(() => executor, scratch);
      const program = `
import ctypes, subprocess
print(subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout.strip())
cuda = ctypes.CDLL("libcuda.so.1")
n = ctypes.c_int(-1)
print("init", cuda.cuInit(0), "count", cuda.cuDeviceGetCount(ctypes.byref(n)), n.value)
`;
      await harness.withRun(program, { limits: { gpus: 1 }, gpus: [last.id], runtime: 'host' }, ({ result, log }) => {
        assert.equal(result.exitCode, 0, log);
        const listed = log.split('\n').filter((l) => l.startsWith('GPU '));
        assert.equal(listed.length, 1, log);
        if (last.uuid) assert.ok(listed[0]!.includes(last.uuid), log);
        assert.match(log, /init 0 count 0 1/, log);
      });
    });
  });
}
