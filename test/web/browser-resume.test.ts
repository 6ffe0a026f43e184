import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { zipFolder } from '../../src/archive/zip-folder.js';
import { startHoldout, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { browserSkipReason, ensureWebBuilt, openBrowser, type Browser } from './browser.js';
import { call } from './web-client.js';

const MiB = 1 << 20;
/** The web app's chunk size (src/web/resumable-upload.ts). */
const CHUNK = 16 * MiB;

/** Resumable uploads in the web app (issue 15): a reload in the middle continues, it does not start again. */
describe('resumable uploads in the web app, in Chromium', { skip: browserSkipReason() }, () => {
  let h: TestHoldout;
  let b: Browser;
  let zip: string;
  before(async () => {
    ensureWebBuilt();
    h = await startHoldout({ config: { maxUploadBytes: 128 * MiB, maxUnpackedBytes: 256 * MiB } });
    // A submission that scores, with incompressible weights: three chunks of the web app's size.
    const code = path.join(path.dirname(await trivialSubmission()), 'code');
    await writeFile(path.join(code, 'weights.bin'), randomBytes(40 * MiB));
    zip = path.join(path.dirname(code), 'big-submission.zip');
    await zipFolder(code, zip);
    b = await openBrowser();
  });
  after(async () => {
    await b?.close();
    await h?.close();
  });

  const uploadsOf = async (userId: string) => h.ctx.db.selectFrom('uploads').selectAll().where('user_id', '=', userId).execute();

  it('continues an upload after a page reload from the offset the server kept, and submits once', async () => {
    const { page } = b;
    const token = await h.participant('reloader');
    const me = (await call(h.url, 'GET', '/api/me', token)).body as { id: string };
    await call(h.url, 'POST', '/api/competitions/digits/rules', token);
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill('reloader');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'reloader' }).waitFor();

    // The first chunk reaches the server; every later one is lost on the way (a line that dropped).
    let patches = 0;
    await page.route('**/api/uploads/*', (route) => {
      if (route.request().method() !== 'PATCH') return route.continue();
      return ++patches === 1 ? route.continue() : route.abort('connectionreset');
    });
    await page.goto(`${h.url}/c/digits/submit`);
    await page.getByText('choose the same file here again and upload: it continues where it stopped').waitFor();
    await page.getByLabel(/Full run/).check();
    await page.getByLabel('submission.zip').setInputFiles(zip);
    await page.getByRole('button', { name: 'Upload and run' }).click();
    let rows = await uploadsOf(me.id);
    for (let i = 0; i < 600 && Number(rows[0]?.received ?? 0) < CHUNK; i++, rows = await uploadsOf(me.id)) await sleep(100);
    assert.equal(rows.length, 1);
    const first = rows[0]!;
    assert.equal(Number(first.received), CHUNK, 'the server holds the first chunk');
    assert.equal(await h.ctx.submissions.get(first.id), undefined, 'no submission yet: no quota taken');

    // The line stays down until the old page is gone: a retry of the old page's that reached the server half
    // way would move the offset at a moment no test can know, and the offset below would be a guess.
    await page.reload();
    await page.unroute('**/api/uploads/*');
    const kept = Number((await uploadsOf(me.id))[0]?.received);
    assert.equal(kept, CHUNK, 'the server still holds exactly the first chunk');
    const offsets: string[] = [];
    page.on('request', (r) => r.method() === 'PATCH' && offsets.push(r.headers()['upload-offset'] ?? ''));
    await page.getByLabel(/Full run/).check();
    await page.getByLabel('submission.zip').setInputFiles(zip);
    await page.getByRole('button', { name: 'Upload and run' }).click();
    await page.getByText('Continuing the earlier upload of big-submission.zip').waitFor();
    await page.getByRole('heading', { name: 'Your submission' }).waitFor({ timeout: 60_000 });

    // The server's view: the one upload started before the reload became the submission.
    const after = await uploadsOf(me.id);
    assert.deepEqual(after.map((u) => [u.id, u.completed, Number(u.received)]), [[first.id, 1, Number(first.length)]], 'no second upload was started');
    assert.equal(offsets[0], String(kept), 'the first chunk after the reload starts where the server stopped');
    const row = await h.ctx.submissions.get(first.id);
    assert.equal(row?.zip_bytes, Number(first.length));
    assert.equal((await waitForFinal(h.url, token, first.id)).status, 'scored');
    const mine = (await call(h.url, 'GET', '/api/competitions/digits/submissions', token)).body as unknown[];
    assert.equal(mine.length, 1, 'one submission, one quota slot');
    const c = (await call(h.url, 'GET', '/api/competitions/digits', token)).body as { me: { quota: { full: { used: number } } } };
    assert.equal(c.me.quota.full.used, 1);
    assert.deepEqual(b.problems.filter((p) => p.startsWith('page error')), []);
  });
});
