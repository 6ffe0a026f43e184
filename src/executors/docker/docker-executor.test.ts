import { runExecutorSuite } from '../executor-suite.case.js';
import { DockerExecutor } from './docker-executor.js';

// The whole executor contract, against a real engine: podman's Docker API service, which
// scripts/test.sh starts (scripts/with-podman.sh) where podman is installed.
const dockerHost = process.env.HOLDOUT_TEST_DOCKER_HOST;
const skip = dockerHost === undefined ? 'HOLDOUT_TEST_DOCKER_HOST is not set (scripts/with-podman.sh starts podman\'s API service and sets it)' : process.getuid?.() !== 0 ? 'needs root' : undefined;

runExecutorSuite(
  'docker',
  async () => {
    const executor = new DockerExecutor({ dockerHost: dockerHost ?? '' });
    await executor.check();
    return executor;
  },
  skip ? { skip } : {},
);
