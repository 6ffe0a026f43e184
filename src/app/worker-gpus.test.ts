import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlurmExecutor } from '../executors/slurm/slurm-executor.js';
import { loadConfig } from './config.js';
import { executorConfig, workerGpus } from './context.js';

describe("a slurm worker's GPU offer", () => {
  const env = { HOLDOUT_EXECUTOR: 'slurm', HOLDOUT_SLURM_SHARED_DIR: '/shared/holdout' };

  it("is HOLDOUT_SLURM_GPUS of the cluster's, never the worker host's", async () => {
    const config = loadConfig({ ...env, HOLDOUT_SLURM_GPUS: '2' });
    const wiring = executorConfig(config);
    assert.equal(wiring.kind === 'slurm' && wiring.gpus, 2);
    const held = await workerGpus(config, new SlurmExecutor({ sharedDir: '/shared/holdout', gpus: 2 }));
    assert.deepEqual(held.gpus, ['gres/gpu#0', 'gres/gpu#1']);
    held.release();
  });

  it('is none by default: such a worker claims no GPU submission', async () => {
    const config = loadConfig(env);
    const held = await workerGpus(config, new SlurmExecutor({ sharedDir: '/shared/holdout' }));
    assert.deepEqual(held.gpus, []);
    held.release();
  });
});
