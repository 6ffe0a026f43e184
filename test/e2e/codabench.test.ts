import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

