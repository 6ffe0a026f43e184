import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { installCompetition } from '../../src/app/install-competition.js';
import { zipFolder } from '../../src/archive/zip-folder.js';
import { pinnedReference } from '../../src/domain/image-reference.js';
import { missingHostRequirements } from '../../src/executors/sandbox/host-check.js';
import { Podman } from '../../src/runtimes/podman.js';
import { demoBundle, getJson, startHoldout, type TestHoldout } from '../helpers/holdout-server.js';
import { buildTinyPythonImage, canBuildTinyImage, podmanStorageEnv, removePodmanStorage, whereItRanMain } from '../helpers/tiny-image.js';
import { CliUser, show } from './cli-harness.js';
import { hasRegistry, startRegistry } from '../helpers/registry.js';

/**
 * The participant's side of a phase with a runtime of its own: a competition on the host's /usr
 * whose open (final) phase runs in a tiny image served by a real registry (Debian's
 * docker-registry). The API, `holdout runtime pull --competition` and `holdout test-submission`
 * give the open phase's image, and the local score is the one that image gives, not the host's.
 */
const blockers = [
  ...missingHostRequirements(),
  ...(spawnSync('podman', ['--version']).status === 0 ? [] : ['podman (apt-get install podman runc)']),
  ...(hasRegistry() ? [] : ['docker-registry (apt-get install docker-registry)']),
  ...(canBuildTinyImage() ? [] : ["Debian's python3.11"]),
];
const skip = blockers.length > 0 ? blockers.join('; ') : false;
const day = 86_400_000;

const main = whereItRanMain;

type Details = { runtime: string; runsPhase: string | null; runtimeImage: { reference: string; digest: string | null } | null; phases: { name: string; runtime: string; runtimeImage: unknown }[]; localTest: { runtime: string; phase?: string } };

describe("a participant tests in the runtime of the phase open now", { skip }, () => {
  let work: string;
  let registry: ChildProcess;
  let h: TestHoldout;
  let user: CliUser;
  let imageId: string;
  let pinned: string;
  let zip: string;
  const storages: { podman: Podman; dir: string }[] = [];
  let participantEnv: Record<string, string>;
  const saved = { CONTAINERS_STORAGE_CONF: process.env.CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF: process.env.CONTAINERS_REGISTRIES_CONF };

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'holdout-phase-kit-'));
    const started = await startRegistry(work);
    const host = started.host;
    registry = started.process;

    // The platform's podman storage (this process: install and the server's sandbox) and the participant's.
    const storage = async (name: string) => {
      const env = await podmanStorageEnv(path.join(work, name), [host]);
      storages.push({ podman: new Podman({ env }), dir: path.join(work, name) });
      return { env, podman: new Podman({ env }) };
    };
    const platform = await storage('platform');
    Object.assign(process.env, { CONTAINERS_STORAGE_CONF: platform.env.CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF: platform.env.CONTAINERS_REGISTRIES_CONF });
    const participant = await storage('participant');
    participantEnv = {
      CONTAINERS_STORAGE_CONF: participant.env.CONTAINERS_STORAGE_CONF ?? '',
      CONTAINERS_REGISTRIES_CONF: participant.env.CONTAINERS_REGISTRIES_CONF ?? '',
      HOLDOUT_RUNTIMES_DIR: path.join(work, 'participant-runtimes'),
    };
    imageId = await buildTinyPythonImage(platform.podman, 'localhost/holdout-test/tiny-final:1', 'final-phase');
    const destination = `${host}/holdout/tiny-final:1`;
    pinned = pinnedReference(destination, await platform.podman.push('localhost/holdout-test/tiny-final:1', destination, { tlsVerify: false }));

    // The demo bundle (host runtime, built-in accuracy), its final phase open and in the image.
    const bundle = path.join(work, 'bundle');
    await cp(demoBundle, bundle, { recursive: true });
    const yaml = parse(await readFile(path.join(bundle, 'competition.yaml'), 'utf8')) as Record<string, unknown>;
    const at = (days: number) => new Date(Date.now() + days * day).toISOString();
    yaml.slug = 'phase-kit';
    yaml.entrypoint = 'python3 main.py';
    yaml.phases = [
      { name: 'development', start: at(-20), end: at(-1), daily_quota: 5 },
      { name: 'final', start: at(-1), end: at(10), daily_quota: 5, runtime: { image: pinned } },
    ];
    await writeFile(path.join(bundle, 'competition.yaml'), stringify(yaml));
    h = await startHoldout({ config: { runtimesDir: path.join(work, 'runtimes') } });
    await installCompetition(bundle, h.ctx);

    await mkdir(path.join(work, 'code'));
    await writeFile(path.join(work, 'code', 'main.py'), main);
    zip = path.join(work, 'submission.zip');
    await zipFolder(path.join(work, 'code'), zip);
    user = await CliUser.create();
  });
  after(async () => {
    await h?.close();
    registry?.kill('SIGTERM');
    for (const s of storages) await removePodmanStorage(s.podman, s.dir);
    await user?.cleanup();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await rm(work, { recursive: true, force: true });
  });

  it("the API gives the open phase's runtime image with its digest, each phase's own, and another phase's with ?phase=", async () => {
    const open = (await getJson(`${h.url}/api/competitions/phase-kit`)).body as Details;
    assert.equal(open.runsPhase, 'final');
    assert.equal(open.runtime, 'tiny-final');
    assert.deepEqual(open.runtimeImage, { reference: pinned, digest: imageId });
    assert.deepEqual(open.phases.map((p) => [p.name, p.runtime, p.runtimeImage]), [['development', 'host', null], ['final', 'tiny-final', { reference: pinned, digest: imageId }]]);
    assert.deepEqual([open.localTest.runtime, open.localTest.phase], ['tiny-final', 'final']);
    const list = (await getJson(`${h.url}/api/competitions`)).body as { slug: string; runtime: string }[];
    assert.equal(list.find((c) => c.slug === 'phase-kit')?.runtime, 'tiny-final');

    const dev = (await getJson(`${h.url}/api/competitions/phase-kit?phase=development`)).body as Details;
    assert.deepEqual([dev.runsPhase, dev.runtime, dev.runtimeImage, dev.localTest.runtime], ['development', 'host', null, 'host']);
    const unknown = await getJson(`${h.url}/api/competitions/phase-kit?phase=nope`);
    assert.equal(unknown.status, 404);
    assert.match(JSON.stringify(unknown.body), /phase \\"nope\\"/);
  });

  it("runtime pull --competition pulls the open phase's image into the participant's storage and checks its ID; a phase on host has none", async () => {
    const pull = await user.run(['--json', '--server', h.url, 'runtime', 'pull', '--competition', 'phase-kit'], { env: participantEnv });
    assert.equal(pull.code, 0, show(pull));
    assert.deepEqual(JSON.parse(pull.stdout), { image: pinned, digest: imageId, competition: 'phase-kit', phase: 'final' });
    const participant = storages[1]!.podman;
    assert.equal(await participant.imageId(imageId), imageId);

    const host = await user.run(['--server', h.url, 'runtime', 'pull', '--competition', 'phase-kit', '--phase', 'development'], { env: participantEnv });
    assert.equal(host.code, 4, show(host));
    assert.match(host.stderr, /"phase-kit" \(phase development\) runs on the workers' own system \(runtime host\): there is no image to pull/);
    const both = await user.run(['--server', h.url, 'runtime', 'pull', pinned, '--competition', 'phase-kit'], { env: participantEnv });
    assert.equal(both.code, 2, show(both));
  });

  it("test-submission runs the code in the open phase's image (its score, not the host's); --phase development on the host", async () => {
    const run = async (extra: string[]) => {
      const r = await user.run(['--json', '--server', h.url, 'test-submission', zip, '--competition', 'phase-kit', '--executor', 'sandbox', ...extra], { env: participantEnv });
      assert.equal(r.code, 0, show(r));
      return JSON.parse(r.stdout) as { status: string; phase: string; runtime: { name: string; digest: string | null }; publicScores: Record<string, number> };
    };
    const final = await run([]);
    assert.equal(final.status, 'scored');
    assert.deepEqual([final.phase, final.runtime], ['final', { name: 'tiny-final', digest: imageId }]);
    const dev = await run(['--phase', 'development']);
    assert.deepEqual([dev.phase, dev.runtime], ['development', { name: 'host', digest: null }]);
    // Label 4 in the image, 0 on the host: the smoke sample's public part holds one 4 and three 0s.
    assert.ok(final.publicScores.accuracy! < dev.publicScores.accuracy!, JSON.stringify([final, dev]));
    assert.ok(final.publicScores.accuracy! > 0);
  });
});
