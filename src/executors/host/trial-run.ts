import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultLayout } from '../../domain/limits.js';
import type { Executor } from '../executor.js';

/**
 * Runs `/usr/bin/true` in the "host" runtime through an executor's whole chain, with `gpus`
 * assigned, so that a kernel, engine or GPU that refuses the run shows up when a worker starts
 * instead of at every submission.
 * @throws Error naming how the trial ended when it did not exit 0.
 */
export async function trialRun(executor: Executor, what: string, gpus: readonly string[] = []): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'holdout-check-'));
  try {
    await Promise.all([mkdir(path.join(dir, 'code')), mkdir(path.join(dir, 'data'))]);
    const result = await executor.run({
      runId: `check-${randomBytes(4).toString('hex')}`,
      runtime: 'host',
      command: ['/usr/bin/true'],
      codeDir: path.join(dir, 'code'),
      dataDir: path.join(dir, 'data'),
      layout: defaultLayout,
      limits: { wallTimeMs: 30_000, memoryBytes: 64 << 20, cpus: 1, pids: 16, outputBytes: 1 << 20, logBytes: 4096, gpus: gpus.length },
      gpus,
      logPath: path.join(dir, 'log.txt'),
    });
    await result.dispose();
    if (result.outcome !== 'exited' || result.exitCode !== 0) {
      const withGpus = gpus.length ? ` with GPUs ${gpus.join(',')}` : '';
      throw new Error(`a trial ${what} run of /usr/bin/true${withGpus} ended with ${result.outcome} (exit ${result.exitCode})`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
