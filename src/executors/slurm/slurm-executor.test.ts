import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { runExecutorSuite } from '../executor-suite.case.js';
import { SlurmExecutor } from './slurm-executor.js';
import { runSlurmFaults } from './slurm-faults.case.js';
import { slurmSkip, testSlurmOptions } from './test-cluster.case.js';

// The whole executor contract through a real one-node Slurm cluster, which scripts/test.sh starts
// (scripts/with-slurm.sh) where Slurm is installed.
const sharedDir = path.join(process.env.HOLDOUT_TEST_SLURM_SHARED ?? '/nonexistent', `suite-${randomUUID()}`);
after(() => rmSync(sharedDir, { recursive: true, force: true }));

runExecutorSuite(
  'slurm',
  async () => {
    const executor = new SlurmExecutor(testSlurmOptions(sharedDir));
    await executor.check();
    return executor;
  },
  // A batch job starts at the controller's next scheduling pass (each second), then on its node.
  slurmSkip ? { skip: slurmSkip } : { startSlackMs: 6500 },
);

// After the suite, in this file: they stop the cluster's daemons.
runSlurmFaults();
