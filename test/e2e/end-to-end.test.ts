import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDialects } from '../../src/db/test-databases.case.js';
import { rawZip } from '../helpers/raw-zip.js';
import {
  ensureExampleModel,
  exampleSubmission,
  getJson,
  repoRoot,
  startHoldout,
  upload,
  waitForFinal,
  zipSubmission,
  type TestHoldout,
} from '../helpers/holdout-server.js';

// The same journey on every database dialect (PostgreSQL when a test server is configured).
for (const dialect of testDialects) {
  describe(`on ${dialect.name}`, { skip: dialect.skip }, () => {
    describe('upload → sandboxed run → score → leaderboard', () => {
      let h: TestHoldout;
      before(async () => {
        ensureExampleModel();
        // A short time limit keeps the timeout case quick; the example needs about a second.
        h = await startHoldout({ dialect, editYaml: (y) => y.replace(/wall_time: .*/, 'wall_time: 8s') });
      });
      after(() => h.close());

      it('scores the example submission above 0.9 and ranks it on the public leaderboard', async () => {
        const token = await h.participant('alice');
        const sent = await upload(h.url, token, 'digits', await zipSubmission(exampleSubmission));
        assert.equal(sent.status, 201, JSON.stringify(sent.body));
        assert.equal(sent.body.status, 'queued');

        const done = await waitForFinal(h.url, token, String(sent.body.id));
        assert.equal(done.status, 'scored', JSON.stringify(done));
        assert.ok(Number(done.publicScore) > 0.9, `public accuracy ${String(done.publicScore)}`);
        assert.equal(done.exitCode, 0);
        assert.deepEqual(done.runtime, { name: 'host', digest: null }, 'the runtime it ran in is recorded');
        assert.equal(done.privateScore, undefined, 'private scores stay hidden from participants');

        // A full run's log can leak test data: by default its participant gets only the reason.
        const logsUrl = `${h.url}/api/submissions/${String(done.id)}/logs`;
        assert.equal((await fetch(logsUrl, { headers: { authorization: `Bearer ${token}` } })).status, 403);
        const hostLogs = await fetch(logsUrl, { headers: { authorization: `Bearer ${await h.admin()}` } });
        assert.equal(hostLogs.status, 200);
        assert.ok((await hostLogs.text()).length > 0);

        const board = (await getJson(`${h.url}/api/competitions/digits/leaderboard`)).body as { rows: { username: string; score: number; rank: number }[] };
        assert.deepEqual(board.rows.map((r) => [r.rank, r.username]), [[1, 'alice']]);
        assert.equal(board.rows[0]?.score, done.publicScore);

        const priv = await getJson(`${h.url}/api/competitions/digits/leaderboard?part=private`);
        assert.equal(priv.status, 403);
        const admin = await h.admin();
        const adminView = await getJson(`${h.url}/api/competitions/digits/leaderboard?part=private`, admin);
        assert.equal(adminView.status, 200);

        // Once the host reveals it, everyone sees the private part.
        const reveal = await fetch(`${h.url}/api/competitions/digits/reveal`, {
          method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}',
        });
        assert.equal(reveal.status, 200);
        const revealed = (await getJson(`${h.url}/api/competitions/digits/leaderboard?part=private`)).body as { rows: { score: number }[] };
        assert.ok(Number(revealed.rows[0]?.score) > 0.9);
        const mine = (await getJson(`${h.url}/api/submissions/${String(done.id)}`, token)).body as { privateScore: number };
        assert.equal(mine.privateScore, revealed.rows[0]?.score);
      });

      const broken: [folder: string, reason: string, message: RegExp][] = [
        ['timeout', 'timeout', /time limit/],
        ['out_of_memory', 'out_of_memory', /memory limit/],
        // Full runs show no log line by default (test/attacks/log-visibility.test.ts covers the others).
        ['nonzero_exit', 'nonzero_exit', /^"python main\.py" exited with code 1$/],
        ['invalid_output', 'invalid_output', /header must be the submission format's: expected "id,label"/],
        ['no_output', 'invalid_output', /no predictions file/],
      ];
      for (const [folder, reason, message] of broken) {
        it(`ends the broken example "${folder}" as ${reason} with a useful message`, async () => {
          const token = await h.participant();
          const sent = await upload(h.url, token, 'digits', await zipSubmission(path.join(repoRoot, 'examples', 'broken', folder)));
          assert.equal(sent.status, 201, JSON.stringify(sent.body));
          const done = await waitForFinal(h.url, token, String(sent.body.id));
          assert.equal(done.status, 'failed', JSON.stringify(done));
          assert.equal(done.reason, reason, JSON.stringify(done));
          assert.match(String(done.message), message);
          assert.ok(String(done.advice).length > 20, 'a failure comes with advice');
        });
      }
    });

    describe('refused uploads leave nothing behind', () => {
      let h: TestHoldout;
      before(async () => {
        h = await startHoldout({ dialect, config: { maxUploadBytes: 64 * 1024 } });
      });
      after(() => h.close());

      async function nothingStored(): Promise<void> {
        const rows = await h.ctx.db.selectFrom('submissions').select('id').execute();
        assert.deepEqual(rows, []);
        const keys: string[] = [];
        for await (const k of h.ctx.blobs.list('submissions')) keys.push(k);
        assert.deepEqual(keys, []);
        assert.deepEqual(await readdir(path.join(h.dataDir, 'uploads')).catch(() => []), []);
      }

      it('refuses a malformed zip with 400 and a message', async () => {
        const token = await h.participant();
        const res = await upload(h.url, token, 'digits', Buffer.from('definitely not a zip'));
        assert.equal(res.status, 400);
        assert.match(String(res.body.message), /not a valid zip/);
        await nothingStored();
      });

      it('refuses a zip without main.py', async () => {
        const token = await h.participant();
        const res = await upload(h.url, token, 'digits', rawZip([{ name: 'predict.py', data: 'print(1)' }]));
        assert.equal(res.status, 400);
        assert.match(String(res.body.message), /main\.py is missing/);
        await nothingStored();
      });

      it('refuses an oversized upload with 413', async () => {
        const token = await h.participant();
        const res = await upload(h.url, token, 'digits', Buffer.alloc(100 * 1024, 1));
        assert.equal(res.status, 413);
        assert.match(String(res.body.message), /larger than the limit/);
        await nothingStored();
      });

      it('refuses anonymous uploads and unknown competitions', async () => {
        const anon = await fetch(`${h.url}/api/competitions/digits/submissions`, { method: 'POST' });
        assert.equal(anon.status, 401);
        const token = await h.participant();
        const res = await upload(h.url, token, 'no-such-competition', Buffer.from('x'));
        assert.equal(res.status, 404);
        assert.match(String(res.body.message), /competition "no-such-competition" not found/);
        await nothingStored();
      });
    });

    describe('the daily quota', () => {
      let h: TestHoldout;
      // No worker: the submissions stay queued, which is all the quota needs.
      before(async () => {
        h = await startHoldout({ dialect, config: { workers: 0 } });
      });
      after(() => h.close());

      it('holds under 15 concurrent uploads: exactly the quota is accepted, the rest leave nothing behind', async () => {
        const token = await h.participant();
        const zip = rawZip([{ name: 'main.py', data: 'print(1)' }]);
        const results = await Promise.all(Array.from({ length: 15 }, () => upload(h.url, token, 'digits', zip)));
        const statuses = results.map((r) => r.status).sort();
        assert.deepEqual(statuses, [...Array(10).fill(201), ...Array(5).fill(429)]);
        const refused = results.find((r) => r.status === 429);
        assert.match(String(refused?.body.message), /used all 10 full submissions of today/);
        const rows = await h.ctx.db.selectFrom('submissions').select('id').execute();
        assert.equal(rows.length, 10);
        const keys: string[] = [];
        for await (const k of h.ctx.blobs.list('submissions')) keys.push(k);
        assert.equal(keys.length, 10);
      });
    });
  });
}
