import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BundleError } from '../../src/bundle/bundle-error.js';
import { missingHostRequirements } from '../../src/executors/sandbox/host-check.js';
import { installCompetition } from '../../src/app/install-competition.js';
import { ImageCache } from '../../src/runtimes/image-cache.js';
import { Podman } from '../../src/runtimes/podman.js';
import { CliUser, show } from '../cli/cli-harness.js';
import { getJson, startHoldout, upload, waitForFinal } from '../helpers/holdout-server.js';
import { buildTinyPythonImage, canBuildTinyImage, podmanStorageEnv, removePodmanStorage } from '../helpers/tiny-image.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { freePort, hasRegistry, startRegistry } from '../helpers/registry.js';

/**
 * A real registry (Debian's docker-registry) on a loopback port: a runtime image is pushed from
 * one podman storage, pulled into others, and scores a submission exactly as the host's Python
 * does. The image is the tiny one (the host's python3.11), so the suite takes seconds.
 */
const hasPodman = spawnSync('podman', ['--version']).status === 0;
const blockers = [
  ...missingHostRequirements(),
  ...(hasPodman ? [] : ['podman (apt-get install podman runc)']),
  ...(hasRegistry() ? [] : ['docker-registry (apt-get install docker-registry)']),
  ...(spawnSync('skopeo', ['--version']).status === 0 ? [] : ['skopeo (apt-get install skopeo)']),
  ...(canBuildTinyImage() ? [] : ["Debian's python3.11"]),
];
const skip = blockers.length > 0 ? blockers.join('; ') : false;

describe('runtime images through a real registry', { skip }, () => {
  let dir: string;
  let registry: ChildProcess;
  let host: string;
  let digest: string;
  let pinned: string;
  let user: CliUser;
  let envA: NodeJS.ProcessEnv;
  const storages: { podman: Podman; dir: string }[] = [];
  /** A podman storage of its own, knowing the registry as plain HTTP. */
  const storage = async (name: string) => {
    const env = await podmanStorageEnv(path.join(dir, name), [host]);
    const podman = new Podman({ env });
    storages.push({ podman, dir: path.join(dir, name) });
    return { env, podman };
  };
  const envVars = (env: NodeJS.ProcessEnv) => ({ CONTAINERS_STORAGE_CONF: env.CONTAINERS_STORAGE_CONF ?? '', CONTAINERS_REGISTRIES_CONF: env.CONTAINERS_REGISTRIES_CONF ?? '' });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'holdout-registry-'));
    ({ host, process: registry } = await startRegistry(dir));
    user = await CliUser.create();
  });
  after(async () => {
    registry?.kill('SIGTERM');
    for (const s of storages) await removePodmanStorage(s.podman, s.dir);
    await user?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('push prints the pinned reference; the image ID is the same in the registry and after a pull into a second storage', async () => {
    const a = await storage('storage-a');
    envA = a.env;
    digest = await buildTinyPythonImage(a.podman, 'localhost/holdout-test/tiny-python:1');
    const push = await user.run(['--json', 'runtime', 'push', 'localhost/holdout-test/tiny-python:1', `${host}/holdout/tiny-python:1`], { env: envVars(a.env) });
    assert.equal(push.code, 0, show(push));
    const pushed = JSON.parse(push.stdout) as { image: string; digest: string };
    assert.equal(pushed.digest, digest);
    assert.match(pushed.image, new RegExp(`^${host.replace('.', '\\.')}/holdout/tiny-python@sha256:[0-9a-f]{64}$`));
    pinned = pushed.image;

    // What the registry serves: its manifest names the same config, i.e. the same image ID.
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${pinned}`], { encoding: 'utf8' })) as { config: { digest: string } };
    assert.equal(raw.config.digest, digest);

    const b = await storage('storage-b');
    const pull = await user.run(['--json', 'runtime', 'pull', pinned], { env: envVars(b.env) });
    assert.equal(pull.code, 0, show(pull));
    assert.deepEqual(JSON.parse(pull.stdout), { image: pinned, digest });
    assert.equal(await b.podman.imageId(digest), digest);
  });

  it('export writes an OCI archive that loads elsewhere with the same image ID; list shows the recipes', async () => {
    const archive = path.join(dir, 'tiny.oci.tar');
    const exported = await user.run(['--json', 'runtime', 'export', 'localhost/holdout-test/tiny-python:1', '-o', archive], { env: envVars(envA) });
    assert.equal(exported.code, 0, show(exported));
    assert.deepEqual(JSON.parse(exported.stdout), { file: archive, digest });
    const config = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${archive}`], { encoding: 'utf8' })) as { config: { digest: string } };
    assert.equal(config.config.digest, digest);
    const h = await storage('storage-h');
    await h.podman.exec(['load', '--quiet', '-i', archive], 'loading the archive');
    assert.equal(await h.podman.imageId(digest), digest);

    const list = await user.run(['--json', 'runtime', 'list', '--runtimes-dir', path.join(dir, 'no-builds')]);
    assert.equal(list.code, 0, show(list));
    assert.deepEqual((JSON.parse(list.stdout) as { runtimes: unknown[] }).runtimes, [{ name: 'python-ml', recipe: true, built: null }]);
    const notBuilt = await user.run(['runtime', 'export', 'python-ml', '-o', archive, '--runtimes-dir', path.join(dir, 'no-builds')]);
    assert.equal(notBuilt.code, 4, show(notBuilt));
    assert.match(notBuilt.stderr, /runtime python-ml is not built in .*; run "holdout runtime build python-ml"/);
  });

  it('says what is wrong when an image does not exist or the registry refuses', async () => {
    const c = await storage('storage-c');
    const missing = await user.run(['--json', 'runtime', 'pull', `${host}/holdout/nothing:1`], { env: envVars(c.env) });
    assert.equal(missing.code, 4, show(missing));
    assert.match(missing.stderr, /pulling .*nothing:1 failed.*manifest unknown/);
    const closed = await freePort();
    const refused = await user.run(['--json', 'runtime', 'push', digest, `127.0.0.1:${closed}/holdout/tiny-python:1`, '--tls-verify', 'false'], { env: envVars(envA) });
    assert.equal(refused.code, 6, show(refused));
    assert.match(refused.stderr, /connection refused.*is the registry running/);
  });

  it('the sandbox pulls an image it lacks from the recorded reference, and refuses one whose ID differs', async () => {
    const d = await storage('storage-d');
    const cache = new ImageCache(path.join(dir, 'runtimes-d'), d.podman);
    const rootfs = await cache.rootfs(digest, pinned);
    assert.ok(existsSync(path.join(rootfs, 'usr', 'bin', 'python3.11')));
    assert.equal(await d.podman.imageId(digest), digest, 'pulled into the storage');

    const other = `sha256:${'c'.repeat(64)}`;
    const e = await storage('storage-e');
    await assert.rejects(new ImageCache(path.join(dir, 'runtimes-e'), e.podman).rootfs(other, pinned), new RegExp(`is image ${digest}, but the competition recorded ${other}`));
  });

  it('a competition naming the image records its ID, shows participants what to pull, and scores as the host\'s Python does', async () => {
    // The server's worker and install use podman with this process's environment: a fresh storage, so install pulls.
    const f = await storage('storage-f');
    Object.assign(process.env, envVars(f.env));
    const runtimesDir = path.join(dir, 'runtimes-f');
    const zip = await trivialSubmission({ label: 3 });
    const score = async (yaml: (text: string) => string) => {
      const h = await startHoldout({ editYaml: yaml, config: { runtimesDir } });
      try {
        const token = await h.participant();
        const sent = await upload(h.url, token, 'digits', zip);
        assert.equal(sent.status, 201, JSON.stringify(sent.body));
        const final = await waitForFinal(h.url, token, String(sent.body.id));
        const details = (await getJson(`${h.url}/api/competitions/digits`)).body as { runtime: string; runtimeImage: unknown };
        const row = await h.ctx.submissions.get(String(sent.body.id));
        return { final, details, image: row?.runtime_image };
      } finally {
        await h.close();
      }
    };
    const inImage = await score((y) => y.replace(/^runtime: host$/m, `runtime: { image: "${pinned}" }`));
    assert.equal(inImage.final.status, 'scored', JSON.stringify(inImage.final));
    assert.equal(inImage.details.runtime, 'tiny-python');
    assert.deepEqual(inImage.details.runtimeImage, { reference: pinned, digest });
    // The submission records the image it ran in.
    assert.deepEqual(inImage.final.runtime, { name: 'tiny-python', digest });
    assert.equal(inImage.image, pinned, 'and where it was pulled from');

    const onHost = await score((y) => y);
    assert.equal(onHost.final.status, 'scored');
    assert.equal(inImage.final.publicScore, onHost.final.publicScore);
    assert.ok(typeof inImage.final.publicScore === 'number');
  });

  it('install refuses an image whose ID is not the declared one, and an unknown image, saying how to fix it', async () => {
    const g = await storage('storage-g');
    const deps = { podman: g.podman, config: { runtimesDir: path.join(dir, 'runtimes-g') } };
    const attempt = async (runtime: string) => {
      const h = await startHoldout();
      try {
        const bundle = path.join(h.dataDir, 'bad-bundle');
        execFileSync('cp', ['-r', path.join(import.meta.dirname, '..', '..', 'examples', 'digits', 'bundle'), bundle]);
        const yaml = path.join(bundle, 'competition.yaml');
        const text = execFileSync('cat', [yaml], { encoding: 'utf8' });
        await writeFile(yaml, text.replace(/^runtime: host$/m, `runtime: ${runtime}`).replace(/^slug: digits$/m, 'slug: digits-image'));
        return await installCompetition(bundle, { ...h.ctx, ...deps });
      } finally {
        await h.close();
      }
    };
    const wrong = `sha256:${'d'.repeat(64)}`;
    await assert.rejects(attempt(`{ image: "${pinned}", digest: "${wrong}" }`), (e: unknown) => e instanceof BundleError && /runtime\.digest: image .* has image ID sha256:[0-9a-f]+, not the declared/.test(e.message));
    await assert.rejects(attempt(`{ image: "${host}/holdout/nothing:1" }`), (e: unknown) => e instanceof BundleError && /runtime\.image: pulling .* manifest unknown; check the reference/.test(e.message));
  });
});
