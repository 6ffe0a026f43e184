import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildTinyPythonImage, canBuildTinyImage, podmanStorageEnv, removePodmanStorage } from '../../test/helpers/tiny-image.js';
import { defaultLayout } from '../domain/limits.js';
import { createExecutor } from '../executors/create-executor.js';
import type { RunSpec } from '../executors/executor.js';
import { missingHostRequirements } from '../executors/sandbox/host-check.js';
import { ImageCache } from './image-cache.js';
import { checkImageReference, Podman, PodmanError } from './podman.js';

const hasPodman = spawnSync('podman', ['--version']).status === 0;
const blockers = [...missingHostRequirements(), ...(hasPodman ? [] : ['podman (apt-get install podman runc)']), ...(canBuildTinyImage() ? [] : ['Debian\'s python3.11'])];
const skip = blockers.length > 0 ? blockers.join('; ') : false;

describe('the sandbox runs runtime images, unpacked once per image ID', { skip }, () => {
  let dir: string;
  let podman: Podman;
  let digest: string;
  const tag = 'localhost/holdout-test/tiny-python:1';

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'holdout-image-cache-'));
    // The executor's image cache uses podman with this process's environment: point it at a storage of the test's own.
    Object.assign(process.env, await podmanStorageEnv(path.join(dir, 'podman')));
    podman = new Podman();
    digest = await buildTinyPythonImage(podman, tag);
  });
  after(async () => {
    await removePodmanStorage(podman, path.join(dir, 'podman'));
    await rm(dir, { recursive: true, force: true });
  });

  async function spec(runId: string, program: string, extra: Partial<RunSpec> = {}): Promise<RunSpec> {
    const code = path.join(dir, runId, 'code');
    const data = path.join(dir, runId, 'data');
    await mkdir(code, { recursive: true });
    await mkdir(data, { recursive: true });
    await writeFile(path.join(code, 'main.py'), program);
    return {
      runId,
      runtime: 'tiny-python',
      runtimeDigest: digest,
      command: ['python', 'main.py'],
      codeDir: code,
      dataDir: data,
      layout: defaultLayout,
      limits: { wallTimeMs: 20_000, memoryBytes: 256 << 20, cpus: 1, pids: 32, outputBytes: 1 << 20, logBytes: 1 << 16, gpus: 0 },
      logPath: path.join(dir, runId, 'log.txt'),
      ...extra,
    };
  }

  it('runs a submission in the image\'s own /usr and /etc, unpacking it at the first run only', async () => {
    const runtimesDir = path.join(dir, 'runtimes');
    const executor = createExecutor({ kind: 'sandbox', runtimesDir });
    const program = 'import os, sys\nprint("marker", open("/etc/holdout-tiny").read().strip())\nprint("numpy", os.path.exists("/usr/lib/python3/dist-packages/numpy"))\nprint("exe", sys.executable)\n';
    let started = Date.now();
    const first = await executor.run(await spec('image-first', program));
    const firstMs = Date.now() - started;
    await first.dispose();
    const log = await readFile(path.join(dir, 'image-first', 'log.txt'), 'utf8');
    assert.equal(first.exitCode, 0, log);
    assert.match(log, /^marker tiny$/m);
    assert.match(log, /^numpy False$/m, 'nothing of the host\'s /usr');

    const cached = path.join(runtimesDir, 'images', digest.slice(7));
    const record = JSON.parse(await readFile(path.join(cached, 'image.json'), 'utf8')) as { digest: string; unpackMs: number };
    assert.equal(record.digest, digest);
    // The image has no /etc/hosts; the cache adds an empty one for the sandbox to bind over.
    assert.equal((await stat(path.join(cached, 'rootfs', 'etc', 'hosts'))).size, 0);
    assert.equal((await stat(path.join(cached, 'rootfs', 'usr', 'bin', 'setpriv'))).uid, 0);
    assert.equal((await stat(path.join(runtimesDir, 'images'))).mode & 0o777, 0o700, 'no local user reaches an image\'s setuid programs');

    started = Date.now();
    const second = await executor.run(await spec('image-second', program));
    const secondMs = Date.now() - started;
    await second.dispose();
    assert.equal(second.exitCode, 0);
    const unpackedAgain = JSON.parse(await readFile(path.join(cached, 'image.json'), 'utf8')) as { unpackedAt: string };
    assert.deepEqual(unpackedAgain, record, 'unpacked once');
    console.log(`tiny image: first run ${firstMs} ms (unpack ${record.unpackMs} ms), second run ${secondMs} ms`);
  });

  it('refuses an image ID this host does not have and cannot pull, saying how to get it', async () => {
    const executor = createExecutor({ kind: 'sandbox', runtimesDir: path.join(dir, 'runtimes') });
    const absent = `sha256:${'ab'.repeat(32)}`;
    await assert.rejects(executor.run(await spec('image-absent', 'pass', { runtimeDigest: absent })), (e: unknown) => {
      assert.ok(e instanceof PodmanError && e.failure === 'image_missing', String(e));
      assert.match(e.message, /not in this host's podman storage.*holdout runtime pull/);
      return true;
    });
    // A recipe built on another host has only a local name: nothing to pull it from.
    await assert.rejects(executor.run(await spec('image-local', 'pass', { runtimeDigest: absent, runtimeImage: 'localhost/holdout-runtime/python-ml:abc' })), /built on another host .*holdout runtime push/);
    // A digest recorded before runtimes were images (or garbage) is refused by name.
    await assert.rejects(executor.run(await spec('image-bad', 'pass', { runtimeDigest: 'sha256:0' })), /recorded sha256:0 .*not an image ID/);
  });

  it('runs nothing of an image as root: the host\'s setpriv drops privileges; etc links and preloads never reach the host', async () => {
    const hostFile = path.join(dir, 'host-secret');
    await writeFile(hostFile, 'host\n');
    const hostile = await buildTinyPythonImage(podman, 'localhost/holdout-test/tiny-hostile:1', 'hostile', async (root) => {
      // The image's setpriv would run as root if the sandbox used it.
      await rm(path.join(root, 'usr', 'bin', 'setpriv'));
      await writeFile(path.join(root, 'usr', 'bin', 'setpriv'), '#!/bin/sh\necho "image setpriv ran as $(id -u)"\nexit 1\n', { mode: 0o755 });
      await rm(path.join(root, 'etc', 'passwd'));
      await symlink(hostFile, path.join(root, 'etc', 'passwd'));
      await symlink(hostFile, path.join(root, 'etc', 'hosts'));
      await writeFile(path.join(root, 'etc', 'ld.so.preload'), '/usr/lib/evil.so\n');
    });
    const runtimesDir = path.join(dir, 'runtimes-hostile');
    const executor = createExecutor({ kind: 'sandbox', runtimesDir });
    const run = await executor.run(await spec('image-hostile', 'import os\nprint("uid", os.getuid(), "lang", os.environ.get("LANG"), "home", os.environ.get("HOME"))\n', { runtime: 'tiny-hostile', runtimeDigest: hostile, env: { HOLDOUT_SMOKE: '1' } }));
    await run.dispose();
    const log = await readFile(path.join(dir, 'image-hostile', 'log.txt'), 'utf8');
    assert.equal(run.exitCode, 0, log);
    assert.doesNotMatch(log, /image setpriv/);
    assert.match(log, /^uid [1-9]\d* lang C\.UTF-8 home \/tmp$/m, 'the environment is set after the drop');
    assert.equal(await readFile(hostFile, 'utf8'), 'host\n', 'the host file is untouched');
    const etc = path.join(runtimesDir, 'images', hostile.slice(7), 'rootfs', 'etc');
    for (const name of ['passwd', 'hosts']) assert.ok((await lstat(path.join(etc, name))).isFile(), `${name} is a plain file`);
    assert.equal(await readFile(path.join(etc, 'ld.so.preload'), 'utf8'), '');
  });

  it('refuses an image without /usr/bin/env, naming it, and caches nothing of it', async () => {
    const bare = await buildTinyPythonImage(podman, 'localhost/holdout-test/tiny-bare:1', 'bare', (root) => rm(path.join(root, 'usr', 'bin', 'env')));
    const runtimesDir = path.join(dir, 'runtimes-bare');
    const executor = createExecutor({ kind: 'sandbox', runtimesDir });
    await assert.rejects(executor.run(await spec('image-bare', 'pass', { runtimeDigest: bare })), /lacks \/usr\/bin\/env, which the sandbox runs inside it: install coreutils/);
    assert.equal(await new ImageCache(runtimesDir, podman).cached(bare), undefined);
  });

  it('unpacks an image once when several runs ask for it at the same time', async () => {
    const cache = new ImageCache(path.join(dir, 'runtimes-concurrent'), podman);
    const trees = await Promise.all([cache.rootfs(digest), cache.rootfs(digest), cache.rootfs(digest)]);
    assert.equal(new Set(trees).size, 1);
    assert.equal(await cache.cached(digest), trees[0]);
  });
});

describe('podman errors that say how to fix them', () => {
  it('a missing podman names the package to install', async () => {
    const podman = new Podman({ binary: '/nonexistent/podman' });
    await assert.rejects(podman.imageId('localhost/x:1'), (e: unknown) => e instanceof PodmanError && e.failure === 'podman_missing' && /apt-get install podman/.test(e.message));
  });

  it('a reference that podman could take for an option never reaches it', async () => {
    await assert.rejects(new Podman().pull('--all-tags'), /"--all-tags" is not an image reference/);
    assert.throws(() => checkImageReference('a b'), /not an image reference/);
  });
});
