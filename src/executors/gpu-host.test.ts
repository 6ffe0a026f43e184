import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { discoverGpus, type GpuHost, selectGpus } from './gpu-host.js';
import { makeStandInGpus, type StandInGpus, standInGpusSkip } from './stand-in-gpus.case.js';

describe('discoverGpus', { skip: standInGpusSkip }, () => {
  let gpus: StandInGpus;
  before(async () => {
    gpus = await makeStandInGpus(3);
    // Not a device: a file named like one is no GPU.
    await writeFile(path.join(gpus.devDir, 'nvidia7'), '');
  });
  after(() => rm(path.dirname(gpus.devDir), { recursive: true, force: true }));

  it('finds the character devices /dev/nvidiaN, in id order, named by the driver', async () => {
    const host = await discoverGpus({ devDir: gpus.devDir, procDir: gpus.procDir, driverFiles: false });
    assert.deepEqual(
      host.gpus.map((g) => [g.id, g.device, g.uuid, g.model]),
      [0, 1, 2].map((i) => [String(i), path.join(gpus.devDir, `nvidia${i}`), gpus.uuid(i), 'Stand-in GPU']),
    );
    assert.deepEqual(host.controlDevices, ['nvidiactl', 'nvidia-uvm'].map((n) => path.join(gpus.devDir, n)));
    assert.ok(host.gpus.every((g) => g.procEntry === undefined), 'entries of a folder other than the kernel\'s are not hidden in runs');
    assert.deepEqual(host.driverFiles, []);
  });

  it('finds nothing on a host without NVIDIA devices', async () => {
    const host = await discoverGpus({ devDir: gpus.procDir, procDir: gpus.procDir });
    assert.deepEqual(host, { gpus: [], controlDevices: [], driverFiles: [] });
  });
});

describe('selectGpus', () => {
  const host: GpuHost = {
    gpus: ['0', '1', '3'].map((id) => ({ id, device: `/dev/nvidia${id}` })),
    controlDevices: [],
    driverFiles: [],
  };

  it('takes all, none, or the listed ids once each', () => {
    assert.deepEqual(selectGpus(host, 'all').map((g) => g.id), ['0', '1', '3']);
    assert.deepEqual(selectGpus(host, 'none'), []);
    assert.deepEqual(selectGpus(host, ''), []);
    assert.deepEqual(selectGpus(host, '3, 1,3').map((g) => g.id), ['3', '1']);
  });

  it('names a GPU the host does not have, and what it has', () => {
    assert.throws(() => selectGpus(host, '0,2'), /GPU 2 is not on this host \(it has: 0, 1, 3\)/);
    assert.throws(() => selectGpus({ ...host, gpus: [] }, '0'), /it has: none/);
  });
});
