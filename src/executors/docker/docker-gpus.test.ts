import { runGpuSuite } from '../gpu-suite.case.js';
import { DockerExecutor } from './docker-executor.js';

// The GPU tests of the sandbox, in containers: devices passed by node (--device), driver files bound.
const dockerHost = process.env.HOLDOUT_TEST_DOCKER_HOST;
runGpuSuite(
  'docker',
  (options) => new DockerExecutor({ dockerHost: dockerHost ?? '', ...options }),
  dockerHost === undefined ? 'HOLDOUT_TEST_DOCKER_HOST is not set (scripts/with-podman.sh sets it)' : undefined,
);
