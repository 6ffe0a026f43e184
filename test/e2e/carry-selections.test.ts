import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { carryOpenedPhases } from '../../src/app/carry-selections.js';
import { installCompetition } from '../../src/app/install-competition.js';
import { listFiles, zipFolder } from '../../src/archive/zip-folder.js';
import { getJson, startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';

const year = 365 * 86_400_000;

// Every .npy the run wrote against the reference: the share of equal values.
const scorer = `import glob, json, os, sys
import numpy as np
ref = np.load(os.path.join(sys.argv[1], "ref", "labels.npy"))
(res,) = sorted(glob.glob(os.path.join(sys.argv[1], "res", "*.npy")))
with open(os.path.join(sys.argv[2], "scores.json"), "w") as f:
    json.dump({"exact": float((np.load(res) == ref).mean())}, f)
`;

/** Two code phases with data of their own; the final one carries the development selections. */
async function writeBundle(dir: string, finalOpen: boolean): Promise<void> {
  const at = (years: number) => new Date(Date.now() + years * year).toISOString();
  const [devStart, devEnd, finalStart, finalEnd] = finalOpen ? [at(-2), at(-1), at(-1), at(1)] : [at(-1), at(1), at(1), at(2)];
  await writeFile(
    path.join(dir, 'competition.yaml'),
    stringify({
      slug: 'carried',
      title: 'Selections carried into the final phase',
      runtime: 'host',
      entrypoint: 'python3 main.py',
      final_selections: 1,
      data: { labels: 'dev/ref/', test_features: 'dev/features/' },
      scoring: { primary: { metric: 'exact', higher_is_better: true }, program: { path: 'scorer/', command: 'python3 $program/score.py $input $output', input: 'raw' } },
      phases: [
        { name: 'development', start: devStart, end: devEnd, daily_quota: 5 },
        { name: 'final', start: finalStart, end: finalEnd, total_quota: 1, carry_selections: true, data: { labels: 'final/ref/', test_features: 'final/features/' } },
      ],
    }),
  );
}

const npy = (file: string, values: number[]) => execFileSync('/usr/bin/python3', ['-c', `import numpy as np, sys; np.save(sys.argv[1], np.array(${JSON.stringify(values)}))`, file]);

describe('selected submissions carried into the next phase', () => {
  let h: TestHoldout;
  let work: string;
  before(async () => {
    h = await startHoldout();
    work = await mkdtemp(path.join(tmpdir(), 'holdout-carry-'));
  });
  after(async () => {
    await h.close();
    await rm(work, { recursive: true, force: true });
  });

  /** Zips a main.py into a submission and uploads it; returns its id once scored. */
  async function submit(token: string, name: string, main: string): Promise<string> {
    const dir = path.join(work, name);
    await mkdir(dir);
    await writeFile(path.join(dir, 'main.py'), main);
    await zipFolder(dir, `${dir}.zip`, await listFiles(dir));
    const sent = await upload(h.url, token, 'carried', `${dir}.zip`);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const done = await waitForFinal(h.url, token, String(sent.body.id), 60_000);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    return String(sent.body.id);
  }

  it("re-runs each entrant's selection (or best) once on the new phase's data, without quota, linked to its origin", async () => {
    const bundle = path.join(work, 'bundle');
    for (const d of ['dev/ref', 'dev/features', 'final/ref', 'final/features', 'scorer']) await mkdir(path.join(bundle, d), { recursive: true });
    npy(path.join(bundle, 'dev/features/x.npy'), [1, 2, 3, 4]);
    npy(path.join(bundle, 'dev/ref/labels.npy'), [2, 3, 4, 5]);
    npy(path.join(bundle, 'final/features/x.npy'), [10, 20, 30, 40]);
    npy(path.join(bundle, 'final/ref/labels.npy'), [11, 21, 31, 41]);
    await writeFile(path.join(bundle, 'scorer', 'score.py'), scorer);
    await writeBundle(bundle, false);
    const c = await installCompetition(bundle, h.ctx);
    const [ada, bob, admin] = [await h.participant('ada'), await h.participant('bob'), await h.admin()];
    // Where the final phase's hidden data lies stays as private as the competition's.
    const details = (await getJson(`${h.url}/api/competitions/carried`, ada)).body as { phases: Array<{ name: string; own?: Record<string, unknown> }> };
    assert.deepEqual(details.phases.map((p) => p.name), ['development', 'final']);
    assert.doesNotMatch(JSON.stringify(details), /final\/ref|final\/features|dev\/ref/);
    const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    // x + 1 is right on any data; the hard-coded answers only on the development data.
    const general = "import numpy as np, os\nx = np.load(os.path.join(os.environ['HOLDOUT_DATA'], 'x.npy'))\nnp.save(os.path.join(os.environ['HOLDOUT_OUTPUT'], 'out.npy'), x + 1)\n";
    const memorised = "import numpy as np, os\nnp.save(os.path.join(os.environ['HOLDOUT_OUTPUT'], 'out.npy'), np.array([2, 3, 4, 5]))\n";
    const adaGeneral = await submit(ada, 'ada-general', general);
    const adaMemorised = await submit(ada, 'ada-memorised', memorised);
    const bobGeneral = await submit(bob, 'bob-general', general);
    // Ada selects the memorised one (scores tie at 1 on development); Bob selects nothing: his best goes.
    const chose = await fetch(`${h.url}/api/submissions/${adaMemorised}/selection`, { method: 'PUT', headers: auth(ada), body: JSON.stringify({ selected: true }) });
    assert.equal(chose.status, 200, await chose.text());

    const early = await fetch(`${h.url}/api/competitions/carried/phases/final/carry`, { method: 'POST', headers: bearer(admin) });
    assert.equal(early.status, 409, 'the development phase is still open');
    assert.match(((await early.json()) as { message: string }).message, /phase "development" is still open/);
    const noPhase = await fetch(`${h.url}/api/competitions/carried/phases/nope/carry`, { method: 'POST', headers: bearer(admin) });
    assert.equal(noPhase.status, 404);
    const byParticipant = await fetch(`${h.url}/api/competitions/carried/phases/final/carry`, { method: 'POST', headers: bearer(ada) });
    assert.equal(byParticipant.status, 403);

    // The final phase opens: the server's sweep carries (here called at once rather than within a minute).
    await writeBundle(bundle, true);
    await installCompetition(bundle, h.ctx);
    const swept = await carryOpenedPhases(h.ctx.db, h.ctx.competitions);
    assert.deepEqual(swept.map((s) => [s.slug, s.phase, s.fromPhase, s.carried]), [['carried', 'final', 'development', 2]]);
    assert.deepEqual(await carryOpenedPhases(h.ctx.db, h.ctx.competitions), [], 'a second sweep carries nothing');
    const again = await fetch(`${h.url}/api/competitions/carried/phases/final/carry`, { method: 'POST', headers: bearer(admin) });
    assert.equal(again.status, 200, 'done before: nothing queued again');
    assert.deepEqual(((await again.json()) as { carried: number; from: string }).carried, 2);
    h.ctx.worker?.wake();

    const carried = await h.ctx.db.selectFrom('submissions').select(['id', 'carried_from', 'user_id']).where('competition_id', '=', c.id).where('phase', '=', 'final').execute();
    assert.deepEqual(carried.map((r) => r.carried_from).sort(), [adaMemorised, bobGeneral].sort(), 'the selection, or the best without one; never the unselected');
    assert.ok(!carried.some((r) => r.carried_from === adaGeneral));
    for (const r of carried) {
      const token = r.carried_from === adaMemorised ? ada : bob;
      const done = await waitForFinal(h.url, token, r.id, 60_000);
      assert.equal(done.status, 'scored', JSON.stringify(done));
      assert.equal(done.carriedFrom, r.carried_from);
    }

    // Scored on the final data: the memorised answers fail there.
    const board = await getJson(`${h.url}/api/competitions/carried/leaderboard?phase=final`);
    const rows = (board.body as { rows: Array<{ username: string; score: number; carriedFrom: string | null }> }).rows;
    assert.deepEqual(rows.map((r) => [r.username, r.score, r.carriedFrom]), [['bob', 1, bobGeneral], ['ada', 0, adaMemorised]]);
    const devBoard = await getJson(`${h.url}/api/competitions/carried/leaderboard?phase=development`);
    assert.deepEqual((devBoard.body as { rows: Array<{ score: number }> }).rows.map((r) => r.score), [1, 1]);
    assert.equal((await getJson(`${h.url}/api/competitions/carried/leaderboard?phase=nope`)).status, 404);

    // Carried runs used none of the final phase's total quota of 1, and the carried selections are closed.
    const own = await upload(h.url, ada, 'carried', path.join(work, 'ada-general.zip'));
    assert.equal(own.status, 201, JSON.stringify(own.body));
    assert.equal((await upload(h.url, ada, 'carried', path.join(work, 'ada-general.zip'))).status, 429);
    const late = await fetch(`${h.url}/api/submissions/${adaGeneral}/selection`, { method: 'PUT', headers: auth(ada), body: JSON.stringify({ selected: true }) });
    assert.equal(late.status, 409);
    assert.match(((await late.json()) as { message: string }).message, /were carried into phase "final"/);
    await waitForFinal(h.url, ada, String(own.body.id), 60_000);
  });
});
