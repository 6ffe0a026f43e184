import type { SlurmExecutorOptions } from './slurm-executor.js';

// The cluster of scripts/with-slurm.sh, as the slurm tests reach it (a .case file: not built).

/** Why the slurm tests cannot run here, or undefined when the cluster is up. */
export const slurmSkip: string | undefined =
  process.env.HOLDOUT_TEST_SLURM_SHARED === undefined
    ? 'HOLDOUT_TEST_SLURM_SHARED is not set (scripts/with-slurm.sh starts a one-node Slurm cluster and sets it)'
    : process.getuid?.() !== 0
      ? 'needs root (the jobs run the sandbox)'
      : undefined;

/** Executor options for the test cluster, with job folders under `sharedDir`. */
export function testSlurmOptions(sharedDir: string): SlurmExecutorOptions {
  const partition = process.env.HOLDOUT_TEST_SLURM_PARTITION;
  const entry = process.env.HOLDOUT_TEST_SLURM_NODE_ENTRY;
  return {
    sharedDir,
    ...(partition ? { partition } : {}),
    ...(entry ? { nodeCommand: [process.execPath, entry] } : {}),
  };
}
