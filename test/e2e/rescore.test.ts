import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { installCompetition } from '../../src/app/install-competition.js';
import { demoBundle, ensureExampleModel, exampleSubmission, getJson, startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';

let h: TestHoldout;
before(async () => {
  ensureExampleModel();
  h = await startHoldout();
});
after(() => h.close());

const post = (url: string, token: string) => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });

it('re-scores from the kept predictions after the host fixes the labels, without running the code again', async () => {
  const token = await h.participant();
  const sent = await upload(h.url, token, 'digits', await zipSubmission(exampleSubmission));
  const first = await waitForFinal(h.url, token, String(sent.body.id));
  assert.equal(first.status, 'scored', JSON.stringify(first));
  const before = await h.ctx.submissions.get(String(first.id));

  // The host "fixes" the labels: the first 100 change, so the same predictions must score lower.
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-relabel-'));
  await cp(demoBundle, dir, { recursive: true });
  const labelsFile = path.join(dir, 'private', 'labels.csv');
  const [header, ...rows] = (await readFile(labelsFile, 'utf8')).trimEnd().split('\n');
  const changed = rows.map((line, i) => {
    if (i >= 100) return line;
    const [id, label, usage] = line.split(',');
    return `${id},${(Number(label) + 1) % 10},${usage}`;
  });
  await writeFile(labelsFile, `${[header, ...changed].join('\n')}\n`);
  await installCompetition(dir, h.ctx);

  const participantTry = await post(`${h.url}/api/submissions/${String(first.id)}/rescore`, token);
  assert.ok([403, 404].includes(participantTry.status), `a participant may not re-score (${participantTry.status})`);

  const admin = await h.admin();
  const res = await post(`${h.url}/api/submissions/${String(first.id)}/rescore`, admin);
  assert.equal(res.status, 200, await res.clone().text());
  const second = await waitForFinal(h.url, token, String(first.id));
  assert.equal(second.status, 'scored', JSON.stringify(second));
  assert.ok(Number(second.publicScore) < Number(first.publicScore) - 0.1, `${String(second.publicScore)} vs ${String(first.publicScore)}`);
  const after = await h.ctx.submissions.get(String(first.id));
  assert.equal(after?.run_ms, before?.run_ms, 'the run was not repeated: its time is kept');
  assert.equal(after?.log_key, before?.log_key);
  assert.equal(after?.rescore, 0);

  // Re-scoring every full submission of the competition takes the same path.
  const all = await post(`${h.url}/api/competitions/digits/rescore`, admin);
  assert.deepEqual(await all.json(), { requeued: 1 });
  const third = await waitForFinal(h.url, token, String(first.id));
  assert.equal(third.publicScore, second.publicScore);
  const board = (await getJson(`${h.url}/api/competitions/digits/leaderboard`)).body as { rows: { score: number }[] };
  assert.equal(board.rows[0]?.score, second.publicScore);
});
