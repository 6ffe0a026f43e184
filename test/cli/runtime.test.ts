import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultLayout } from '../../src/domain/limits.js';
import { createExecutor } from '../../src/executors/create-executor.js';
import { missingBuildRequirements } from '../../src/runtimes/build-runtime.js';
import { missingHostRequirements } from '../../src/executors/sandbox/host-check.js';
import { RuntimeStore } from '../../src/runtimes/runtime-store.js';
import { demoBundle, ensureExampleModel, exampleSubmission } from '../helpers/holdout-server.js';
import { CliUser, show } from './cli-harness.js';

/**
 * Building the python-ml image takes one to five minutes and about a gigabyte (debootstrap, then
 * apt in podman build), so this suite is opt-in: HOLDOUT_TEST_RUNTIME_BUILD=1. The image goes to
 * podman's storage, its record to HOLDOUT_TEST_RUNTIMES_DIR (default /var/tmp/holdout-test-runtimes),
 * and both are reused by later runs as long as the recipe is unchanged (`runtime build` skips an
 * image built from the same recipe): a CI job builds once. The package-request case builds a
 * second, small image on the same base (apt only, a few packages).
 */
const optIn = process.env.HOLDOUT_TEST_RUNTIME_BUILD === '1';
const blockers = [...missingBuildRequirements(), ...missingHostRequirements()];
const skip = !optIn ? 'set HOLDOUT_TEST_RUNTIME_BUILD=1 to build the python-ml runtime (slow)' : blockers.length > 0 ? blockers.join('; ') : false;
const runtimesDir = process.env.HOLDOUT_TEST_RUNTIMES_DIR ?? '/var/tmp/holdout-test-runtimes';

describe('holdout runtime build / test, and runs inside a built runtime', { skip }, () => {
  let user: CliUser;
  let bundle: string;
  before(async () => {
    ensureExampleModel();
    user = await CliUser.create();
    bundle = path.join(user.home, 'bundle');
    await cp(demoBundle, bundle, { recursive: true });
    const yaml = path.join(bundle, 'competition.yaml');
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace(/^runtime: host$/m, 'runtime: python-ml'));
  });
  after(() => user.cleanup());

  it('builds python-ml with debootstrap and apt (or reuses the build of this recipe)', { timeout: 20 * 60_000 }, async () => {
    const run = await user.run(['--json', 'runtime', 'build', 'python-ml', '--runtimes-dir', runtimesDir], { timeoutMs: 20 * 60_000 });
    assert.equal(run.code, 0, show(run));
    const built = JSON.parse(run.stdout) as { digest: string; image: string; packages: Record<string, string> };
    assert.match(built.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(built.image, `localhost/holdout-runtime/python-ml:${built.digest.slice(7, 19)}`);
    assert.match(built.packages['python3-sklearn'] ?? '', /^\d/);
  });

  it('passes its import test inside the sandbox, in the image unpacked once', async () => {
    const run = await user.run(['runtime', 'test', 'python-ml', '--runtimes-dir', runtimesDir]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /runtime python-ml passed/);
    assert.match(run.stderr, /ok {3}sklearn 1\.\d/);
    const built = await new RuntimeStore(runtimesDir).get('python-ml');
    const record = JSON.parse(await readFile(path.join(runtimesDir, 'images', (built?.digest ?? '').slice(7), 'image.json'), 'utf8')) as { unpackMs: number };
    console.log(`python-ml unpacked for the sandbox in ${record.unpackMs} ms`);
  });

  it('a package request: add a package, runtime test builds and checks a new image, the competition records its digest', { timeout: 20 * 60_000 }, async () => {
    // The request is made on a small copy of the recipe (same Dockerfile, a few packages), so the
    // rebuild downloads megabytes, not the scientific stack again: what is tested is that a changed
    // package list makes a new image, records the package and reaches the competition.
    const recipes = path.join(user.home, 'recipes');
    await cp(path.join(import.meta.dirname, '..', '..', 'runtimes'), recipes, { recursive: true });
    await writeFile(path.join(recipes, 'python-ml', 'packages.txt'), 'python3-minimal\npython-is-python3\npython3-yaml\n');
    await writeFile(path.join(recipes, 'python-ml', 'import_test.py'), 'import yaml\nprint("ok   yaml", yaml.__version__)\n');
    const requestDir = path.join(user.home, 'runtimes-request');
    const env = { HOLDOUT_RUNTIMES_DIR: requestDir, HOLDOUT_DATA_DIR: path.join(user.home, 'var-request') };
    const before = await new RuntimeStore(runtimesDir).get('python-ml');
    const test = await user.run(['--json', 'runtime', '--recipes', recipes, 'test', 'python-ml'], { env, timeoutMs: 20 * 60_000 });
    assert.equal(test.code, 0, show(test));
    const tested = JSON.parse(test.stdout) as { digest: string; ok: boolean };
    assert.notEqual(tested.digest, before?.digest, 'a new image');
    assert.match((await new RuntimeStore(requestDir).get('python-ml'))?.packages['python3-yaml'] ?? '', /^\d/);
    const create = await user.run(['--json', 'competition', 'create', bundle], { env });
    assert.equal(create.code, 0, show(create));
    assert.equal((JSON.parse(create.stdout) as { runtimeDigest: string }).runtimeDigest, tested.digest);
  });

  it('runs a submission in the runtime\'s own /usr and /etc, not the host\'s', async () => {
    const executor = createExecutor({ kind: 'sandbox', runtimesDir });
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-runtime-run-'));
    try {
      const code = path.join(dir, 'code');
      await cp(path.join(demoBundle, 'smoke', 'features'), path.join(dir, 'data'), { recursive: true });
      await cp(exampleSubmission, code, { recursive: true });
      await writeFile(path.join(code, 'probe.py'), [
        'import os',
        'print("debian", open("/etc/debian_version").read().strip())',
        'print("local", sorted(os.listdir("/usr/local/bin")))',
        'print("resolv", repr(open("/etc/resolv.conf").read()))',
      ].join('\n'));
      const built = await new RuntimeStore(runtimesDir).get('python-ml');
      assert.ok(built);
      const spec = {
        runId: 'runtime-probe',
        runtime: 'python-ml',
        runtimeDigest: built.digest,
        command: ['python', 'probe.py'],
        codeDir: code,
        dataDir: path.join(dir, 'data'),
        layout: defaultLayout,
        limits: { wallTimeMs: 30_000, memoryBytes: 512 << 20, cpus: 1, pids: 64, outputBytes: 1 << 20, logBytes: 1 << 20, gpus: 0 },
        logPath: path.join(dir, 'log.txt'),
      };
      const result = await executor.run(spec);
      await result.dispose();
      const log = await readFile(spec.logPath, 'utf8');
      assert.equal(result.exitCode, 0, log);
      assert.match(log, /^debian 12\./m);
      assert.match(log, /^local \[\]$/m, 'the host\'s /usr/local is not there');
      assert.match(log, /^resolv ''$/m, 'the build host\'s resolver is not there');
      // A runtime with another digest than the competition recorded is refused.
      await assert.rejects(executor.run({ ...spec, runId: 'runtime-wrong', runtimeDigest: 'sha256:0' }), /recorded sha256:0/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('records the runtime digest in a competition and test-submission scores in that runtime', async () => {
    const env = { HOLDOUT_RUNTIMES_DIR: runtimesDir, HOLDOUT_DATA_DIR: path.join(user.home, 'var') };
    const create = await user.run(['competition', 'create', bundle], { env });
    assert.equal(create.code, 0, show(create));
    const built = await new RuntimeStore(runtimesDir).get('python-ml');
    assert.match(create.stdout, new RegExp(`runtime python-ml ${built?.digest ?? 'missing'}`));

    const zip = path.join(user.home, 'submission.zip');
    assert.equal((await user.run(['pack', exampleSubmission, '-o', zip])).code, 0);
    const run = await user.run(['--json', 'test-submission', zip, '--competition', bundle, '--executor', 'sandbox'], { env });
    assert.equal(run.code, 0, show(run));
    const result = JSON.parse(run.stdout) as { status: string; publicScore: number };
    assert.equal(result.status, 'scored');
    assert.ok(result.publicScore > 0.8);
  });
});
