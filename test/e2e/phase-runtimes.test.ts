import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { installCompetition } from '../../src/app/install-competition.js';
import { zipFolder } from '../../src/archive/zip-folder.js';
import { missingHostRequirements } from '../../src/executors/sandbox/host-check.js';
import { Podman } from '../../src/runtimes/podman.js';
import { demoBundle, getJson, startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { buildTinyPythonImage, canBuildTinyImage, podmanStorageEnv, removePodmanStorage, whereItRanMain } from '../helpers/tiny-image.js';

/**
 * Two phases of one competition in two runtimes, through the real server, worker and sandbox: the
 * development phase on the host's own /usr, the final phase in a tiny image (the host's python3.11
 * and a marker file, /etc/holdout-tiny). The same code predicts from what it finds, so the runtime
 * each phase ran it in shows in its score as well as in what the submission records.
 */
const blockers = [
  ...missingHostRequirements(),
  ...(spawnSync('podman', ['--version']).status === 0 ? [] : ['podman (apt-get install podman runc)']),
  ...(canBuildTinyImage() ? [] : ["Debian's python3.11"]),
];
const skip = blockers.length > 0 ? blockers.join('; ') : false;

const day = 86_400_000;
const tag = 'localhost/holdout-test/tiny-final:1';

const main = whereItRanMain;
const scorer = `import csv, json, os, sys
def rows(folder):
    (name,) = [n for n in os.listdir(folder) if n.endswith(".csv")]
    with open(os.path.join(folder, name), newline="") as f:
        return {r["id"]: r["label"] for r in csv.DictReader(f)}
ref, res = rows(os.path.join(sys.argv[1], "ref")), rows(os.path.join(sys.argv[1], "res"))
with open(os.path.join(sys.argv[2], "scores.json"), "w") as f:
    json.dump({"accuracy": sum(res[i] == v for i, v in ref.items()) / len(ref), "scored_in_tiny": int(os.path.exists("/etc/holdout-tiny"))}, f)
`;

describe('phases with runtimes of their own', { skip }, () => {
  let h: TestHoldout;
  let work: string;
  let podman: Podman;
  let imageId: string;
  let bundle: string;
  const saved = { CONTAINERS_STORAGE_CONF: process.env.CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF: process.env.CONTAINERS_REGISTRIES_CONF };

  /** The demo bundle, scored by `scorer`, its final phase in the tiny image; `finalOpen` picks the open phase. */
  async function writeBundle(finalOpen: boolean): Promise<void> {
    const at = (days: number) => new Date(Date.now() + days * day).toISOString();
    const [devStart, devEnd, finalEnd] = finalOpen ? [at(-20), at(-10), at(10)] : [at(-10), at(10), at(20)];
    const yaml = parse(await readFile(path.join(demoBundle, 'competition.yaml'), 'utf8')) as Record<string, unknown>;
    yaml.slug = 'phase-runtimes';
    yaml.entrypoint = 'python3 main.py';
    yaml.scoring = {
      primary: { metric: 'accuracy', higher_is_better: true },
      extra: ['scored_in_tiny'],
      split: { column: 'usage', public: 'Public', private: 'Private' },
      program: { path: 'scorer/', command: 'python3 $program/score.py $input $output' },
    };
    yaml.phases = [
      { name: 'development', start: devStart, end: devEnd, daily_quota: 5 },
      { name: 'final', start: devEnd, end: finalEnd, daily_quota: 5, runtime: { image: tag } },
    ];
    await writeFile(path.join(bundle, 'competition.yaml'), stringify(yaml));
  }

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'holdout-phase-runtimes-'));
    // The server's install and sandbox use podman with this process's environment: a storage of the test's own.
    const env = await podmanStorageEnv(path.join(work, 'podman'));
    Object.assign(process.env, { CONTAINERS_STORAGE_CONF: env.CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF: env.CONTAINERS_REGISTRIES_CONF });
    podman = new Podman({ env });
    imageId = await buildTinyPythonImage(podman, tag, 'final-phase');
    bundle = path.join(work, 'bundle');
    await cp(demoBundle, bundle, { recursive: true });
    await mkdir(path.join(bundle, 'scorer'));
    await writeFile(path.join(bundle, 'scorer', 'score.py'), scorer);
    await mkdir(path.join(work, 'code'));
    await writeFile(path.join(work, 'code', 'main.py'), main);
    await zipFolder(path.join(work, 'code'), path.join(work, 'submission.zip'));
    h = await startHoldout({ config: { runtimesDir: path.join(work, 'runtimes') } });
  });
  after(async () => {
    await h?.close();
    await removePodmanStorage(podman, path.join(work, 'podman'));
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await rm(work, { recursive: true, force: true });
  });

  it("records each phase's runtime at install and runs each phase's code in its own; the scorer keeps the competition's", async () => {
    await writeBundle(false);
    await installCompetition(bundle, h.ctx);
    const details = (await getJson(`${h.url}/api/competitions/phase-runtimes`)).body as { runtime: string; phases: Array<{ name: string; own?: { runtime?: unknown } }> };
    assert.equal(details.runtime, 'host');
    assert.deepEqual(details.phases.map((p) => p.own?.runtime), [undefined, { name: 'tiny-final', digest: imageId, image: tag }], 'the image ID recorded at install');

    const token = await h.participant();
    const submit = async () => {
      const sent = await upload(h.url, token, 'phase-runtimes', path.join(work, 'submission.zip'));
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      return waitForFinal(h.url, token, String(sent.body.id));
    };
    const dev = await submit();
    assert.equal(dev.status, 'scored', JSON.stringify(dev));
    assert.deepEqual(dev.runtime, { name: 'host', digest: null });

    // The final phase opens (the host installs the bundle with its dates moved).
    await writeBundle(true);
    await installCompetition(bundle, h.ctx);
    const final = await submit();
    assert.equal(final.status, 'scored', JSON.stringify(final));
    assert.deepEqual(final.runtime, { name: 'tiny-final', digest: imageId });
    assert.equal(final.phase, 'final');

    // Label 0 on the host, 4 in the image: the demo labels hold both, in different shares.
    const scores = (s: Record<string, unknown>) => s.publicScores as Record<string, number>;
    assert.notEqual(scores(dev).accuracy, scores(final).accuracy);
    assert.ok(scores(final).accuracy! > 0 && scores(dev).accuracy! > 0);
    assert.deepEqual([scores(dev).scored_in_tiny, scores(final).scored_in_tiny], [0, 0], "the scoring program ran in the competition's runtime both times");
  });
});
