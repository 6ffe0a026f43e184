import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SuiteHarness } from '../executor-suite-harness.case.js';
import { runName } from '../host/stale-runs.js';
import { DockerExecutor } from './docker-executor.js';
import { EngineClient } from './engine-client.js';
import { runLabels, sweepStaleContainers } from './stale-containers.js';

// What the platform gets wrong or loses around a container run: each is an Error (the worker
// retries it as an infrastructure failure) whose message says what to do.
const dockerHost = process.env.HOLDOUT_TEST_DOCKER_HOST;
const skip = dockerHost === undefined ? 'HOLDOUT_TEST_DOCKER_HOST is not set (scripts/with-podman.sh sets it)' : false;
const missingImage = `sha256:${'0'.repeat(64)}`;

describe('docker executor faults', { skip }, () => {
  const scratch = path.join(os.tmpdir(), `holdout-docker-faults-${randomUUID()}`);
  let executor: DockerExecutor;
  let harness: SuiteHarness;
  before(async () => {
    await mkdir(scratch, { recursive: true });
    executor = new DockerExecutor({ dockerHost: dockerHost ?? '', workspaceRoot: path.join(scratch, 'ws') });
    await executor.check();
    harness = new SuiteHarness(() => executor, scratch);
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it('says how to start the engine when nothing answers at the socket', async () => {
    const down = new DockerExecutor({ dockerHost: `unix://${path.join(scratch, 'no-engine.sock')}` });
    await assert.rejects(down.check(), /no container engine answers at .*no-engine\.sock \(ENOENT\); start it \(podman: "podman system service/);
  });

  it('refuses an image the engine does not have and cannot pull, naming it', async () => {
    await assert.rejects(harness.runPython('print(1)', { runtime: 'gone', runtimeDigest: missingImage }), /runtime "gone" \(image sha256:0{64}\) is not in the container engine/);
    await assert.rejects(
      harness.runPython('print(1)', { runtime: 'gone', runtimeDigest: missingImage, runtimeImage: '127.0.0.1:9/holdout/none:1' }),
      /cannot pull runtime image 127\.0\.0\.1:9\/holdout\/none:1: \S/,
    );
    await assert.rejects(harness.runPython('print(1)', { runtime: 'recipe' }), /runtime "recipe" has no recorded image digest; update the competition/);
  });

  it('removes the containers of a worker that died, and leaves those of live ones', async () => {
    const client = new EngineClient(dockerHost ?? '');
    const image = 'localhost/holdout/host-runtime:2';
    const make = async (name: string) =>
      (await client.json<{ Id: string }>('POST', '/containers/create', { body: { Image: image, Cmd: ['/usr/bin/true'], Labels: { [runLabels.executor]: 'docker', [runLabels.run]: name } } })).Id;
    // A pid no process has: what a worker killed with SIGKILL leaves behind.
    const dead = await make(runName('sweep-test', 'dead', 2 ** 22 + 1));
    const live = await make(runName('sweep-test', 'live', process.pid));
    try {
      const swept = await sweepStaleContainers(client);
      assert.ok(swept.some((n) => n.includes('-dead')), `swept ${swept.join(', ')}`);
      assert.ok(!swept.some((n) => n.includes('-live')), 'a live worker keeps its containers');
      await assert.rejects(client.json('GET', `/containers/${dead}/json`), /no such container|404/i);
      await client.json('GET', `/containers/${live}/json`);
    } finally {
      await client.text('DELETE', `/containers/${live}?force=true`).catch(() => undefined);
      client.close();
    }
  });
});
