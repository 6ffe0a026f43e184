import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { installCompetition } from '../../src/app/install-competition.js';
import { listFiles, zipFolder } from '../../src/archive/zip-folder.js';
import { BundleError } from '../../src/bundle/bundle-error.js';
import { CodabenchError } from '../../src/bundle/codabench/convert-codabench.js';
import { importCodabench } from '../../src/bundle/codabench/import-codabench.js';
import { loadBundle } from '../../src/bundle/load-bundle.js';
import { repoRoot, startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';

const fixture = path.join(repoRoot, 'test', 'fixtures', 'codabench-wheat');
// The public example itself, when a mirror of codalab/competition-examples is on this machine.
const mirror = '/work/.mirror/codalab+competition-examples/repo';
const year = 365 * 86_400_000;

async function zipOf(dir: string, out: string): Promise<string> {
  await zipFolder(dir, out, await listFiles(dir));
  return out;
}

/** Moves the imported phases around now: the first open, the others after it. */
async function openFirstPhase(dir: string): Promise<void> {
  const file = path.join(dir, 'competition.yaml');
  const yaml = parse(await readFile(file, 'utf8')) as { phases: Array<Record<string, unknown>> };
  yaml.phases.forEach((p, i) => {
    p.start = new Date(Date.now() + (i === 0 ? -year : (i + 1) * year)).toISOString();
    p.end = new Date(Date.now() + (i + 1) * year + (i === 0 ? 0 : year / 2)).toISOString();
  });
  await writeFile(file, stringify(yaml));
}

/**
 * What the Codabench scoring program itself gives on `prediction`, run with /usr/bin/python3
 * where it expects its files (/app/input/{ref,res}, /app/output), as Codabench would run it.
 */
function codabenchScore(programDir: string, refDir: string, resDir: string, work: string): Record<string, number> {
  const output = path.join(work, 'output');
  execFileSync('mkdir', ['-p', output]);
  execFileSync('bwrap', ['--dev-bind', '/', '/', '--tmpfs', '/app', '--ro-bind', refDir, '/app/input/ref', '--ro-bind', resDir, '/app/input/res', '--bind', output, '/app/output', '--bind', programDir, '/app/program', '--chdir', '/app/program', '/usr/bin/python3', 'scoring.py'], { stdio: 'ignore' });
  return JSON.parse(execFileSync('cat', [path.join(output, 'scores.json')], { encoding: 'utf8' })) as Record<string, number>;
}

describe('a Codabench results bundle, imported and run', () => {
  let h: TestHoldout;
  let work: string;
  before(async () => {
    h = await startHoldout();
    work = await mkdtemp(path.join(tmpdir(), 'holdout-codabench-'));
  });
  after(async () => {
    await h.close();
    await rm(work, { recursive: true, force: true });
  });

  const sources = [
    { name: 'the fixture laid out as wheat_seeds', zip: () => zipOf(fixture, path.join(work, 'fixture.zip')), samples: ['solution/dev'], bare: true },
    ...(existsSync(mirror)
      ? [{ name: 'codalab/competition-examples codabench/wheat_seeds', zip: async () => gitShow('codabench/wheat_seeds/results_submission_bundle.zip', path.join(work, 'wheat.zip')), samples: ['solution/feedback_solution'], bare: false }]
      : []),
  ];
  for (const source of sources) {
    it(`imports ${source.name} and scores its sample results exactly as its scoring program does`, async () => {
      const zip = await source.zip();
      const imported = await importCodabench(zip);
      assert.equal(imported.dir, zip.replace(/\.zip$/, '-holdout'));
      assert.ok(imported.notes.some((n) => n.startsWith('docker_image ')), imported.notes.join('\n'));
      const config = imported.bundle.config;
      assert.deepEqual(config.phases.map((p) => [p.submission, p.totalQuota]), [['results', undefined], ['results', 1]]);
      assert.equal(config.scoring.program?.input, 'raw');
      assert.match(await readFile(path.join(imported.dir, 'overview.md'), 'utf8'), /## Participation[\s\S]*## Terms/);
      await openFirstPhase(imported.dir);
      const c = await installCompetition(imported.dir, h.ctx);

      const token = await h.participant();
      for (const sample of source.samples) {
        const sampleDir = path.join(imported.dir, sample);
        const sent = await upload(h.url, token, c.slug, await zipOf(sampleDir, path.join(work, `${c.slug}-sample.zip`)));
        assert.equal(sent.status, 201, JSON.stringify(sent.body));
        const done = await waitForFinal(h.url, token, String(sent.body.id), 60_000);
        assert.equal(done.status, 'scored', JSON.stringify(done));
        const labels = path.join(imported.dir, config.data.labels);
        const expected = codabenchScore(path.join(imported.dir, 'scoring_program'), labels, sampleDir, path.join(work, `${c.slug}-ref`));
        assert.deepEqual(done.publicScores, expected);
        if (!source.bare) continue;
        // The bare predictions file is a result submission too.
        const bare = await upload(h.url, token, c.slug, await readFile(path.join(sampleDir, 'prediction')));
        assert.equal(bare.status, 201, JSON.stringify(bare.body));
        assert.equal((await waitForFinal(h.url, token, String(bare.body.id), 60_000)).publicScore, expected.accuracy);
      }
      const rules = ((await (await fetch(`${h.url}/api/competitions/${c.slug}`)).json()) as { rules: string }).rules;
      assert.match(rules, /whole reference set/);
    });
  }

  it('refuses a Codabench bundle given as it is, and leaves nothing of a failed import', async () => {
    const copy = path.join(work, 'as-is');
    await cp(fixture, copy, { recursive: true });
    await assert.rejects(loadBundle(copy), (e: unknown) => e instanceof BundleError && /Codabench\/CodaLab competition\.yaml.*holdout competition import codabench/.test(e.message));

    const v1 = path.join(work, 'v1');
    await cp(fixture, v1, { recursive: true });
    await writeFile(path.join(v1, 'competition.yaml'), (await readFile(path.join(v1, 'competition.yaml'), 'utf8')).replace('version: 2', 'version: 1'));
    await assert.rejects(importCodabench(v1), (e: unknown) => e instanceof CodabenchError && /version 1; only Codabench's version 2/.test(e.message));

    const broken = path.join(work, 'broken');
    await cp(fixture, broken, { recursive: true });
    await rm(path.join(broken, 'final_phase'), { recursive: true });
    await assert.rejects(importCodabench(broken), (e: unknown) => e instanceof BundleError && /competition\.yaml: phases\[1\]\.data\.labels: "final_phase\/reference_data" does not exist/.test(e.message));
    assert.equal(existsSync(`${broken}-holdout`), false);
    assert.deepEqual((await listFiles(work)).filter((f) => f.startsWith('.')), []);
  });
});

function gitShow(file: string, out: string): string {
  execFileSync('sh', ['-c', `git --git-dir="$0" show "HEAD:$1" > "$2"`, mirror, file, out]);
  return out;
}


// A Codabench-layout scoring program: every .npy file the run wrote, against the reference folder.
const npyScorer = `import glob, json, os, sys
import numpy as np
ref = np.load(os.path.join(sys.argv[1], "ref", "labels.npy"))
print("SCORER-LOG", ref.tolist())
(res,) = sorted(glob.glob(os.path.join(sys.argv[1], "res", "*.npy")))
pred = np.load(res)
with open(os.path.join(sys.argv[2], "scores.json"), "w") as f:
    json.dump({"exact": float((pred == ref).mean())}, f)
`;

/** A bundle of two phases: results on the development labels, then code on the final data. */
async function twoPhaseBundle(dir: string, finalOpen: boolean): Promise<void> {
  const at = (years: number) => new Date(Date.now() + years * year).toISOString();
  const [devStart, devEnd, finalStart, finalEnd] = finalOpen ? [at(-2), at(-1), at(-1), at(1)] : [at(-1), at(1), at(1), at(2)];
  await writeFile(
    path.join(dir, 'competition.yaml'),
    stringify({
      slug: 'npy-phases',
      title: 'Two phases, two datasets',
      runtime: 'host',
      entrypoint: 'python3 main.py',
      data: { labels: 'dev/ref/' },
      scoring: { primary: { metric: 'exact', higher_is_better: true }, program: { path: 'scorer/', command: 'python3 $program/score.py $input $output', input: 'raw' } },
      phases: [
        { name: 'development', start: devStart, end: devEnd, daily_quota: 2, submission: 'results' },
        { name: 'final', start: finalStart, end: finalEnd, total_quota: 1, data: { labels: 'final/ref/', test_features: 'final/features/' }, limits: { wall_time: '30s' } },
      ],
    }),
  );
}

describe('phases with their own data, quotas and kind of submission, scored from raw outputs', () => {
  let h: TestHoldout;
  let work: string;
  before(async () => {
    h = await startHoldout();
    work = await mkdtemp(path.join(tmpdir(), 'holdout-phases-'));
  });
  after(async () => {
    await h.close();
    await rm(work, { recursive: true, force: true });
  });

  it('takes results in one phase and code in the next, each on its own labels and quota', async () => {
    const bundle = path.join(work, 'bundle');
    const npy = (file: string, values: number[]) => execFileSync('/usr/bin/python3', ['-c', `import numpy as np, sys; np.save(sys.argv[1], np.array(${JSON.stringify(values)}))`, file]);
    for (const d of ['bundle/dev/ref', 'bundle/final/ref', 'bundle/final/features', 'bundle/scorer', 'results', 'garbage', 'code']) await mkdir(path.join(work, d), { recursive: true });
    npy(path.join(bundle, 'dev/ref/labels.npy'), [1, 2, 3, 4]);
    npy(path.join(bundle, 'final/ref/labels.npy'), [5, 6, 7, 8]);
    npy(path.join(bundle, 'final/features/x.npy'), [4, 5, 6, 7]);
    await writeFile(path.join(bundle, 'scorer', 'score.py'), npyScorer);
    await twoPhaseBundle(bundle, false);
    const c = await installCompetition(bundle, h.ctx);
    const token = await h.participant();
    const admin = await h.admin();

    npy(path.join(work, 'results', 'preds.npy'), [1, 2, 3, 0]);
    const sent = await upload(h.url, token, c.slug, await zipOf(path.join(work, 'results'), path.join(work, 'results.zip')));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const done = await waitForFinal(h.url, token, String(sent.body.id), 60_000);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.deepEqual(done.publicScores, { exact: 0.75 });

    // A scorer that crashes on what it reads ends as scoring_error; its log is the host's only.
    await writeFile(path.join(work, 'garbage', 'preds.npy'), 'not numpy');
    const bad = await upload(h.url, token, c.slug, await zipOf(path.join(work, 'garbage'), path.join(work, 'garbage.zip')));
    const failed = await waitForFinal(h.url, token, String(bad.body.id), 60_000);
    assert.deepEqual([failed.status, failed.reason], ['failed', 'scoring_error'], JSON.stringify(failed));
    assert.doesNotMatch(JSON.stringify(failed), /SCORER-LOG/);
    const hostLog = await fetch(`${h.url}/api/submissions/${String(bad.body.id)}/scoring-log`, { headers: { authorization: `Bearer ${admin}` } });
    assert.match(await hostLog.text(), /SCORER-LOG \[1, 2, 3, 4\]/);
    const mine = await fetch(`${h.url}/api/submissions/${String(bad.body.id)}/scoring-log`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(mine.status, 404, 'not for the participant');
    assert.doesNotMatch(await mine.text(), /SCORER-LOG/);
    assert.equal((await upload(h.url, token, c.slug, path.join(work, 'results.zip'))).status, 429, 'the daily quota of 2');

    // The final phase opens: code, run on its own test features, scored on its own labels.
    await twoPhaseBundle(bundle, true);
    await installCompetition(bundle, h.ctx);
    await writeFile(path.join(work, 'code', 'main.py'), "import numpy as np, os\nx = np.load(os.path.join(os.environ['HOLDOUT_DATA'], 'x.npy'))\nnp.save(os.path.join(os.environ['HOLDOUT_OUTPUT'], 'out.npy'), x + 1)\n");
    assert.equal((await upload(h.url, token, c.slug, path.join(work, 'results.zip'))).status, 400, 'a code phase needs main.py');
    const run = await upload(h.url, token, c.slug, await zipOf(path.join(work, 'code'), path.join(work, 'code.zip')));
    assert.equal(run.status, 201, JSON.stringify(run.body));
    const ran = await waitForFinal(h.url, token, String(run.body.id), 60_000);
    assert.equal(ran.status, 'scored', JSON.stringify(ran));
    assert.deepEqual(ran.publicScores, { exact: 1 });
    const again = await upload(h.url, token, c.slug, path.join(work, 'code.zip'));
    assert.equal(again.status, 429, JSON.stringify(again.body));
    assert.match(String(again.body.message), /used all 1 submissions of phase "final"/);
  });
});

describe('a Codabench code bundle: its ingestion program becomes the harness', () => {
  let h: TestHoldout;
  let work: string;
  before(async () => {
    h = await startHoldout();
    work = await mkdtemp(path.join(tmpdir(), 'holdout-codabench-ingestion-'));
  });
  after(async () => {
    await h.close();
    await rm(work, { recursive: true, force: true });
  });

  it("imports the ingestion program as Codabench runs it, and scores the sample code submission through it", async () => {
    const source = path.join(repoRoot, 'test', 'fixtures', 'codabench-ingestion');
    const imported = await importCodabench(await zipOf(source, path.join(work, 'doubling.zip')));
    const { config } = imported.bundle;
    assert.deepEqual(config.harness, {
      dir: 'ingestion_program',
      // Codabench's variables as its compute worker replaces them, run in /app/program.
      command: ['sh', '-c', 'export PYTHONUNBUFFERED=1; cd /app/program && exec "$@"', 'ingestion', 'python3', '/app/program/ingestion.py', '/app/input_data', '/app/output', '/app/program', '/app/ingested_program'],
      writableCode: true,
    });
    assert.deepEqual(config.entrypoint, ['python3', 'model.py'], 'the file the sample solution has');
    assert.deepEqual(config.phases.map((p) => p.submission), [undefined], 'a code phase');
    assert.ok(imported.notes.some((n) => /ingestion program "ingestion_program": runs as the harness/.test(n)), imported.notes.join('\n'));
    assert.ok(!imported.notes.some((n) => /needs a harness/.test(n)));
    await openFirstPhase(imported.dir);
    await installCompetition(imported.dir, h.ctx);

    const token = await h.participant();
    const sent = await upload(h.url, token, config.slug, await zipOf(path.join(imported.dir, 'solution'), path.join(work, 'solution.zip')));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const done = await waitForFinal(h.url, token, String(sent.body.id));
    assert.equal(done.status, 'scored', JSON.stringify(done));
    // model.py doubles; the last label is not double its feature: 5 of 6.
    assert.equal(done.publicScore, 5 / 6);

    // Code without the model the ingestion program imports fails as a run, with its reason.
    const other = path.join(work, 'other');
    await mkdir(other);
    await writeFile(path.join(other, 'model.py'), 'raise ImportError("no model here")\n');
    const broken = await upload(h.url, token, config.slug, await zipOf(other, path.join(work, 'other.zip')));
    const failed = await waitForFinal(h.url, token, String(broken.body.id));
    assert.deepEqual([failed.status, failed.reason], ['failed', 'nonzero_exit'], JSON.stringify(failed));
  });
});
