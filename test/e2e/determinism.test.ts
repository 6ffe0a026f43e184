import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, repoRoot, startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/*
 * Issue 16, part 5: a host's determinism check runs a scored submission again through the real
 * worker and sandbox, compares its predictions and scores, and changes nothing of the submission.
 */
interface Check {
  id: string;
  status: string;
  reason: string | null;
  worker: string | null;
  originalWorker: string | null;
  sameWorker: boolean | null;
  result: {
    tolerance: number;
    predictions: { compared: boolean; rows?: number; differingRows?: number; differences?: { row: string; column: string; original: string; rerun: string }[] };
    scores: { part: string; metric: string; original: number | null; rerun: number | null; agree: boolean }[];
  } | null;
}

const randomPredictions = path.join(repoRoot, 'test', 'fixtures', 'random-predictions');

let h: TestHoldout;
let participant: string;
let admin: string;
before(async () => {
  h = await startHoldout({ config: { leaseMs: 4000 } });
  participant = await h.participant();
  admin = await h.admin();
});
after(() => h.close());

const ask = (id: string, token: string, body: unknown = {}) =>
  fetch(`${h.url}/api/submissions/${id}/determinism-checks`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function scoredSubmission(zip: string): Promise<Record<string, unknown>> {
  const sent = await upload(h.url, participant, 'digits', zip);
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const done = await waitForFinal(h.url, participant, String(sent.body.id));
  assert.equal(done.status, 'scored', JSON.stringify(done));
  return done;
}

async function finalCheck(submissionId: string, checkId: string): Promise<Check> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { status, body } = await getJson(`${h.url}/api/submissions/${submissionId}/determinism-checks/${checkId}`, admin);
    assert.equal(status, 200, JSON.stringify(body));
    const check = body as Check;
    if (['identical', 'different', 'failed'].includes(check.status)) return check;
    if (Date.now() > deadline) throw new Error(`check ${checkId} still ${check.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('determinism checks', () => {
  let deterministic: Record<string, unknown>;

  it('refuses an unknown submission (404), a participant (403) and a submission that is not scored (409)', async () => {
    deterministic = await scoredSubmission(await trivialSubmission({ label: 3 }));
    assert.equal((await ask('no-such-id', admin)).status, 404);
    const byParticipant = await ask(String(deterministic.id), participant);
    assert.equal(byParticipant.status, 403, await byParticipant.text());
    const listed = await getJson(`${h.url}/api/submissions/${String(deterministic.id)}/determinism-checks`, participant);
    assert.equal(listed.status, 403, 'a participant cannot read checks of their own submission either');

    const sent = await upload(h.url, participant, 'digits', await trivialSubmission({ preamble: 'raise SystemExit(3)' }));
    const failed = await waitForFinal(h.url, participant, String(sent.body.id));
    assert.equal(failed.status, 'failed');
    const refused = await ask(String(failed.id), admin);
    assert.equal(refused.status, 409);
    const body = (await refused.json()) as { error: string; message: string };
    assert.equal(body.error, 'not_scored');
    assert.match(body.message, /only a scored submission can be checked/);
    const badTolerance = await ask(String(deterministic.id), admin, { tolerance: 5 });
    assert.equal(badTolerance.status, 400);
  });

  it('finds a deterministic submission identical, on its one worker, without touching its score, quota or the leaderboard', async () => {
    const id = String(deterministic.id);
    const before = await h.ctx.submissions.get(id);
    const boardBefore = (await getJson(`${h.url}/api/competitions/digits/leaderboard`)).body;
    const quotaBefore = ((await getJson(`${h.url}/api/competitions/digits`, participant)).body as { me: { quota: unknown } }).me.quota;

    const res = await ask(id, admin);
    assert.equal(res.status, 202, await res.clone().text());
    const queued = (await res.json()) as Check;
    assert.ok(['queued', 'running'].includes(queued.status), queued.status);
    const check = await finalCheck(id, queued.id);
    assert.equal(check.status, 'identical', JSON.stringify(check));
    assert.equal(check.sameWorker, true, 'one worker only: it ran there');
    assert.equal(check.worker, h.ctx.worker?.id);
    assert.match(check.reason ?? '', /no other worker was available/);
    assert.equal(check.result?.predictions.compared, true);
    assert.equal(check.result?.predictions.differingRows, 0);
    assert.ok((check.result?.predictions.rows ?? 0) > 0);
    assert.ok(check.result?.scores.some((s) => s.part === 'private' && s.agree), JSON.stringify(check.result?.scores));
    assert.equal(check.result?.tolerance, 1e-9);

    const afterRow = await h.ctx.submissions.get(id);
    assert.deepEqual(afterRow, before, 'the submission row is exactly as it was');
    assert.deepEqual((await getJson(`${h.url}/api/competitions/digits/leaderboard`)).body, boardBefore);
    assert.deepEqual(((await getJson(`${h.url}/api/competitions/digits`, participant)).body as { me: { quota: unknown } }).me.quota, quotaBefore);
    assert.equal(await h.ctx.blobs.stat(`outputs/check-${check.id}/predictions`), undefined, "the re-run's blobs are removed");
  });

  it('finds a submission that writes random predictions different and shows the differing rows and scores', async () => {
    const random = await scoredSubmission(await zipSubmission(randomPredictions));
    const res = await ask(String(random.id), admin, { tolerance: 1e-6 });
    assert.equal(res.status, 202);
    const check = await finalCheck(String(random.id), ((await res.json()) as Check).id);
    assert.equal(check.status, 'different', JSON.stringify(check));
    const p = check.result?.predictions;
    assert.ok(p?.compared && (p.differingRows ?? 0) > 0, JSON.stringify(p));
    const first = p.differences?.[0];
    assert.equal(first?.column, 'label');
    assert.notEqual(first?.original, first?.rerun);
    assert.match(check.reason ?? '', /of \d+ prediction rows differ/);
    assert.equal(check.result?.tolerance, 1e-6);
    const listed = (await getJson(`${h.url}/api/submissions/${String(random.id)}/determinism-checks`, admin)).body as Check[];
    assert.deepEqual(listed.map((c) => c.id), [check.id]);
    const row = await h.ctx.submissions.get(String(random.id));
    assert.equal(row?.public_primary, random.publicScore, 'the score stays the original one');
  });

  describe('with a second worker', () => {
    let w: WorkerProcess | undefined;
    after(async () => {
      w?.kill('SIGTERM');
      await w?.exited;
    });

    it('runs on the worker that did not run the original', async () => {
      w = await spawnWorker({ dataDir: h.dataDir, databaseUrl: h.ctx.config.databaseUrl, env: { HOLDOUT_LEASE_MS: '4000' } });
      // Registered (alive) before the check is asked for: the in-process worker must then leave it alone.
      while (!(await h.ctx.workers.list(4000)).some((x) => x.id === w?.id && x.alive)) await new Promise((r) => setTimeout(r, 100));
      const id = String(deterministic.id);
      const res = await ask(id, admin);
      assert.equal(res.status, 202);
      const check = await finalCheck(id, ((await res.json()) as Check).id);
      assert.equal(check.status, 'identical', JSON.stringify(check));
      assert.equal(check.originalWorker, h.ctx.worker?.id);
      assert.equal(check.worker, w.id);
      assert.equal(check.sameWorker, false);
      assert.doesNotMatch(check.reason ?? '', /no other worker/);
    });
  });
});
