import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerResources } from './worker-resources.js';

const GiB = 1024 ** 3;

describe('WorkerResources', () => {
  const offer = { cpus: 8, memoryBytes: 16 * GiB, gpus: ['0', '1', '3'], executors: ['sandbox'] };

  it('hands each run GPUs no other run holds, lowest ids first, and takes them back on release', () => {
    const r = new WorkerResources(offer);
    const a = r.reserve({ cpus: 1, memoryBytes: 4 * GiB, gpus: 2 });
    const b = r.reserve({ cpus: 1, memoryBytes: 4 * GiB, gpus: 1 });
    assert.deepEqual([a.gpus, b.gpus], [['0', '1'], ['3']]);
    assert.deepEqual(r.free(), { cpus: 8, memoryBytes: 8 * GiB, gpus: 0 });
    a.release();
    a.release();
    assert.deepEqual(r.free(), { cpus: 8, memoryBytes: 12 * GiB, gpus: 2 });
    assert.deepEqual(r.reserve({ cpus: 1, memoryBytes: GiB, gpus: 1 }).gpus, ['0']);
  });

  it('refuses to hand out GPUs it does not have free (a claim asks only for what is free)', () => {
    const r = new WorkerResources(offer);
    r.reserve({ cpus: 1, memoryBytes: GiB, gpus: 3 });
    assert.throws(() => r.reserve({ cpus: 1, memoryBytes: GiB, gpus: 1 }), /needs 1 GPU\(s\) but only 0 are free/);
    assert.deepEqual(r.reserve({ cpus: 1, memoryBytes: GiB, gpus: 0 }).gpus, []);
  });
});
