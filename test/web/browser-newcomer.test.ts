import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureExampleModel, exampleSubmission, startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { browserSkipReason, ensureWebBuilt, openBrowser, type Browser } from './browser.js';
import { call } from './web-client.js';

/** What a newcomer hit first (issue 14): each test here failed before its fix. */
describe('the web app for a newcomer, in Chromium', { skip: browserSkipReason() }, () => {
  let h: TestHoldout;
  let b: Browser;
  let zip: string;
  before(async () => {
    ensureWebBuilt();
    ensureExampleModel();
    h = await startHoldout({ config: { maxUploadBytes: 2 * 1024 * 1024 }, editYaml: (y) => y.replace(/wall_time: .*/, 'wall_time: 30s') });
    zip = await zipSubmission(exampleSubmission);
    b = await openBrowser();
  });
  after(async () => {
    await b?.close();
    await h?.close();
  });

  /** Registers `name` through the API and signs in on the page; returns their bearer token. */
  async function signIn(name: string): Promise<string> {
    const token = await h.participant(name);
    await b.context.clearCookies();
    await b.page.goto(`${h.url}/signin`);
    await b.page.getByLabel('Username').fill(name);
    await b.page.getByLabel('Password').fill('correct horse battery');
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    await b.page.getByRole('link', { name }).waitFor();
    return token;
  }

  const mySubmissions = async (token: string) => (await call(h.url, 'GET', '/api/competitions/digits/submissions', token)).body as { id: string; status: string }[];

  it('uploads once however often "Upload and run" is clicked, and a cancelled upload submits nothing', async () => {
    const { page } = b;
    const token = await signIn('doubler');
    await call(h.url, 'POST', '/api/competitions/digits/rules', token);
    await page.goto(`${h.url}/c/digits/submit`);
    // Over the published limit: refused before a byte is sent, naming the file.
    const big = path.join(await mkdtemp(path.join(tmpdir(), 'holdout-big-')), 'big-model.zip');
    await writeFile(big, Buffer.alloc(3 * 1024 * 1024));
    const uploads: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().includes('/submissions') && uploads.push(r.url()));
    await page.getByLabel('submission.zip').setInputFiles(big);
    await page.getByRole('button', { name: 'Upload and run' }).click();
    await page.getByText('big-model.zip is 3 MiB, larger than the limit of 2 MiB for a submission').waitFor();
    assert.deepEqual(uploads, [], 'nothing was sent');
    await page.getByLabel('submission.zip').setInputFiles(zip);
    await page.getByRole('button', { name: 'Upload and run' }).dblclick();
    await page.getByRole('heading', { name: 'Your submission' }).waitFor();
    await page.waitForTimeout(500);
    assert.equal((await mySubmissions(token)).length, 1, 'a double click submits once');

    // A slow line: the upload takes seconds, shows its progress and can be stopped.
    const cdp = await b.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 40_000 });
    await page.goto(`${h.url}/c/digits/submit`);
    await page.getByLabel('submission.zip').setInputFiles(zip);
    await page.getByRole('button', { name: 'Upload and run' }).click();
    assert.equal(await page.getByRole('button', { name: 'Upload and run' }).isDisabled(), true, 'disabled while uploading');
    await page.getByText(/\d+ % sent/).waitFor();
    await b.screenshot('12-upload-progress');
    await page.getByRole('button', { name: 'Cancel upload' }).click();
    await page.getByText('was cancelled; nothing was submitted').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Upload and run' }).isEnabled(), true);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.waitForTimeout(1000);
    assert.equal((await mySubmissions(token)).length, 1, 'the cancelled upload created nothing');
    assert.deepEqual(b.problems, []);
  });

  it('shows a running smoke test\'s log from its first line, without blank lines, and the time against the limit', async () => {
    const { page } = b;
    const token = await signIn('watcher');
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-slow-log-'));
    // Printed before the page opens, then while it watches; in pieces that do not end at a line.
    await writeFile(path.join(dir, 'main.py'), [
      'import sys, time',
      'print("early one", flush=True)',
      'print("early two", flush=True)',
      'time.sleep(4)',
      'sys.stdout.write("late "); sys.stdout.flush(); time.sleep(0.3)',
      'print("line", flush=True)',
      'time.sleep(1)',
      'sys.exit(3)',
    ].join('\n'));
    const sent = await upload(h.url, token, 'digits', await zipSubmission(dir), '?kind=smoke');
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const id = String(sent.body.id);
    for (let i = 0; i < 100 && ((await call(h.url, 'GET', `/api/submissions/${id}`, token)).body as { status: string }).status !== 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500));
    await page.goto(`${h.url}/s/${id}`);
    await page.getByText(/Running for 0:0\d of the 0:30 time limit/).waitFor();
    const log = page.locator('pre.log');
    await page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.includes('line'), undefined, { timeout: 15_000 });
    await b.screenshot('13-live-log');
    assert.equal(await log.textContent(), 'early one\nearly two\nlate line\n');
    await page.getByText('Reason: nonzero exit').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByText(/Running for/).isVisible(), false, 'the clock stops with the run');
    assert.deepEqual(b.problems, []);
  });

  it('asks before host actions, marks disqualified rows and offers a re-score only where predictions were kept', async () => {
    const { page } = b;
    const admin = await h.admin();
    await h.participant('boss').then(async () => assert.equal((await call(h.url, 'PUT', '/api/admin/users/boss/role', admin, { role: 'admin' })).status, 200));
    await b.context.clearCookies();
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill('boss');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'boss' }).waitFor();
    const subs = (await call(h.url, 'GET', '/api/competitions/digits/host/submissions', admin)).body as { id: string; username: string; status: string; reason: string | null }[];
    const failed = subs.find((s) => s.username === 'watcher');
    assert.equal(failed?.reason, 'nonzero_exit');
    const refused = await call(h.url, 'POST', `/api/submissions/${failed.id}/rescore`, admin);
    assert.equal(refused.status, 409, 'a run without predictions is not re-scored (nor silently run again)');
    assert.match(JSON.stringify(refused.body), /no kept predictions.*re-run it instead/);

    await page.goto(`${h.url}/c/digits/host`);
    await page.getByRole('button', { name: 'Reveal the private leaderboard' }).click();
    await page.getByText('Reveal the private leaderboard and every private score to everyone?').waitFor();
    await b.screenshot('14-confirm-reveal');
    await page.getByRole('button', { name: 'No, keep it as it is' }).click();
    assert.equal(((await call(h.url, 'GET', '/api/competitions/digits')).body as { privateRevealed: boolean }).privateRevealed, false, 'one click reveals nothing');
    await page.getByRole('button', { name: 'Reveal the private leaderboard' }).click();
    await page.getByRole('button', { name: 'Yes, reveal it' }).click();
    await page.getByRole('button', { name: 'Hide the private leaderboard' }).waitFor();

    const watcherRow = page.locator('tbody tr', { hasText: 'watcher' });
    assert.equal(await watcherRow.getByRole('button', { name: 'Re-score' }).count(), 0, 'no re-score for a run that wrote no predictions');
    assert.equal(await watcherRow.getByRole('button', { name: 'Re-run' }).count(), 1);
    await page.getByLabel('Username').fill('watcher');
    await page.getByLabel('Reason').fill('shared an account');
    await page.getByRole('button', { name: 'Disqualify' }).click();
    await page.getByRole('button', { name: 'Yes, disqualify watcher' }).click();
    await page.getByRole('button', { name: 'Reinstate watcher' }).waitFor();
    assert.equal(await page.locator('tr.disqualified', { hasText: 'watcher' }).count(), 1, "the disqualified participant's rows are marked");
    assert.match(await page.locator('tr.disqualified').first().innerText(), /disqualified/);
    await b.screenshot('15-host-disqualified-row');

    await page.goto(`${h.url}/admin`);
    await page.getByLabel('Role of watcher').selectOption('host');
    await page.getByText('Make watcher a host').waitFor();
    await page.getByRole('button', { name: 'No, keep it as it is' }).click();
    assert.equal(await page.getByLabel('Role of watcher').inputValue(), 'participant');
    const users = (await call(h.url, 'GET', '/api/admin/users', admin)).body as { username: string; role: string }[];
    assert.equal(users.find((u) => u.username === 'watcher')?.role, 'participant', 'a role changes only once confirmed');
    assert.deepEqual(b.problems, []);
  });

  it('keeps an invite across sign-up and names the team', async () => {
    const { page } = b;
    const captain = await h.participant('captain');
    await call(h.url, 'POST', '/api/competitions/digits/rules', captain);
    const team = (await call(h.url, 'POST', '/api/competitions/digits/teams', captain, { name: 'Night owls' })).body as { inviteCode: string };
    await b.context.clearCookies();
    await page.goto(`${h.url}/join/${team.inviteCode}`);
    await page.getByRole('heading', { name: 'Join team Night owls' }).waitFor();
    assert.match(await page.locator('main').innerText(), /invited to join team "Night owls" in Handwritten digits/);
    await b.screenshot('16-invite-signed-out');
    await page.getByRole('link', { name: 'Sign in' }).last().click();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Username').fill('newbie');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('button', { name: 'Join Night owls' }).click();
    await page.getByRole('heading', { name: 'Your team: Night owls' }).waitFor();
    assert.match(await page.locator('main').innerText(), /newbie/);
    assert.deepEqual(b.problems, []);
  });

  it('shows a submission page worth its name: who, every metric, times, runtime, no log button where logs are withheld', async () => {
    const { page } = b;
    const token = await signIn('pager');
    const sent = await upload(h.url, token, 'digits', await trivialSubmission({ label: 1 }));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const id = String(sent.body.id);
    assert.equal((await waitForFinal(h.url, token, id)).status, 'scored');
    await page.goto(`${h.url}/s/${id}`);
    await page.getByRole('heading', { name: /^Submission of / }).waitFor();
    const main = await page.locator('main').innerText();
    for (const words of [/Competition\s+Handwritten digits/, /Participant\s+pager/, /full run on the test set · phase development/, /Run time\s+.* of the 30\.0 s limit/, /Resources\s+CPU time [\d.]+ m?s · peak memory [\d.]+ [KMG]i?B of /, /Runtime\s+host/, /withheld: this competition does not show the logs of full runs/]) {
      assert.match(main, words);
    }
    assert.equal(await page.getByRole('rowheader', { name: /accuracy/ }).count(), 1);
    assert.equal(await page.getByRole('rowheader', { name: 'f1_macro' }).count(), 1, 'every metric is shown');
    assert.equal(await page.getByRole('button', { name: 'Show the log' }).count(), 0, 'no button for a log that would be refused');
    assert.match(await page.locator('main').innerText(), /UTC|GMT|[+-]\d/, 'times name their zone');
    await b.screenshot('17-submission-page');
    await page.setViewportSize({ width: 390, height: 844 });
    await b.screenshot('18-submission-page-phone');
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.getByRole('link', { name: /All my submissions to Handwritten digits/ }).click();
    await page.getByRole('heading', { name: 'My submissions' }).waitFor();

    await page.goto(`${h.url}/s/00000000-0000-0000-0000-000000000000`);
    await page.getByRole('heading', { name: 'Submission not found' }).waitFor();
    await b.context.clearCookies();
    await page.goto(`${h.url}/s/${id}`);
    await page.locator('main').getByRole('link', { name: 'Sign in' }).waitFor();
    assert.doesNotMatch(await page.locator('main').innerText(), /Something went wrong/);
    assert.deepEqual(b.problems, []);
  });

  it('shares a rank between equal scores, marks your row, shows the rank change once revealed and times on the axis', async () => {
    const { page } = b;
    const zip2 = await trivialSubmission({ label: 2 });
    for (const name of ['tie-one', 'tie-two']) {
      const token = await h.participant(name);
      const sent = await upload(h.url, token, 'digits', zip2);
      assert.equal((await waitForFinal(h.url, token, String(sent.body.id))).status, 'scored');
    }
    await b.context.clearCookies();
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill('tie-two');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'tie-two' }).waitFor();
    await page.goto(`${h.url}/c/digits/leaderboard`);
    await page.getByRole('cell', { name: 'tie-one' }).waitFor();
    const rankOf = async (name: string) => page.locator('tbody tr', { hasText: name }).locator('td').first().innerText();
    assert.match(await rankOf('tie-one'), /^\d+=$/, 'a tie is marked');
    assert.equal(await rankOf('tie-one'), await rankOf('tie-two'), 'equal scores share the rank');
    assert.equal(await page.locator('tr.you').count(), 1);
    assert.match(await page.locator('tr.you').innerText(), /tie-two you/);
    const ticks = await page.locator('svg.plot text').allTextContents();
    assert.ok(ticks.some((t) => /\d:\d\d/.test(t)), `the time axis shows times: ${ticks.join(' | ')}`);
    await b.screenshot('19-leaderboard-ties-you');
    assert.equal((await call(h.url, 'POST', '/api/competitions/digits/reveal', await h.admin(), { revealed: true })).status, 200);
    await page.goto(`${h.url}/c/digits/leaderboard?part=private`);
    await page.getByRole('columnheader', { name: 'Since public' }).waitFor();
    const change = await page.locator('tr.you td').nth(4).innerText();
    assert.match(change, /^(▲ \d+|▼ \d+|=|new)$/);
    await b.screenshot('20-private-rank-change');
    assert.deepEqual(b.problems, []);
  });

  it('shows the overview title once with a whole breadcrumb, Markdown tables inside their box at 390 px, bundle problems once, code on /api/docs', async () => {
    const { page } = b;
    await b.context.clearCookies();
    await page.goto(`${h.url}/c/digits`);
    await page.getByRole('heading', { name: 'Runtime and limits' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Handwritten digits' }).count(), 1, 'the title once');
    assert.match(await page.locator('.crumbs').innerText(), /^Competitions \/ Handwritten digits$/);
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `the page does not scroll sideways at 390 px (${overflow} px too wide)`);
    await b.screenshot('21-overview-phone');
    await page.setViewportSize({ width: 1200, height: 900 });

    await page.goto(`${h.url}/api/docs`);
    assert.ok(await page.locator('summary code', { hasText: 'status' }).count() >= 1, 'backticked words are code');
    assert.doesNotMatch(await page.locator('main').innerText(), /`status`/);

    const admin = await h.admin();
    await h.participant('bundler');
    assert.equal((await call(h.url, 'PUT', '/api/admin/users/bundler/role', admin, { role: 'host' })).status, 200);
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill('bundler');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'bundler' }).waitFor();
    await page.goto(`${h.url}/host/new`);
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-bad-bundle-'));
    await writeFile(path.join(dir, 'competition.yaml'), 'slug: bad-one\ntitle: Bad\nlimits: { memory: lots }\n');
    const { zipFolder } = await import('../../src/archive/zip-folder.js');
    await zipFolder(dir, `${dir}.zip`);
    await page.getByLabel(/Bundle zip/).setInputFiles(`${dir}.zip`);
    await page.getByRole('button', { name: 'Upload bundle' }).click();
    await page.getByText('The bundle was not accepted').waitFor();
    const alert = await page.locator('[role=alert]').innerText();
    assert.equal(alert.split('limits.memory').length - 1, 1, `each problem once:\n${alert}`);

    // A bundle over the server's published limit is refused before a byte is sent.
    await page.goto(`${h.url}/host/new`);
    await page.getByText('At most 2 MiB zipped').waitFor();
    const bigBundle = path.join(dir, 'big-bundle.zip');
    await writeFile(bigBundle, Buffer.alloc(3 * 1024 * 1024));
    const posts: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/api/competitions') && posts.push(r.url()));
    await page.getByLabel(/Bundle zip/).setInputFiles(bigBundle);
    await page.getByRole('button', { name: 'Upload bundle' }).click();
    await page.getByText("big-bundle.zip is 3 MiB, larger than this server's limit of 2 MiB for one upload").waitFor();
    assert.deepEqual(posts, [], 'nothing was sent');
    assert.deepEqual(b.problems, []);
  });

  it('lists my submissions with every metric, the entry that counts, sample scores labelled and live statuses; states the team rule first', async () => {
    const { page } = b;
    const token = await signIn('lister');
    for (const label of [1, 7]) {
      const sent = await upload(h.url, token, 'digits', await trivialSubmission({ label }));
      assert.equal((await waitForFinal(h.url, token, String(sent.body.id))).status, 'scored');
    }
    const slow = await upload(h.url, token, 'digits', await trivialSubmission({ sleepSeconds: 4 }), '?kind=smoke');
    assert.equal(slow.status, 201);
    await page.goto(`${h.url}/c/digits/submissions`);
    const slowRow = page.locator('tbody tr', { hasText: 'smoke test (sample score)' });
    await slowRow.waitFor();
    assert.match(await slowRow.innerText(), /queued|running/);
    assert.equal(await page.getByRole('columnheader', { name: 'f1_macro (public or sample)' }).count(), 1, 'every metric');
    assert.equal(await page.locator('tbody tr', { hasText: 'on the leaderboard' }).count(), 1, 'the entry that counts is marked');
    const scores = (await call(h.url, 'GET', '/api/competitions/digits/submissions', token)).body as { id: string; kind: string; publicScore: number | null }[];
    const best = scores.filter((x) => x.kind === 'full').sort((x, y) => (y.publicScore ?? 0) - (x.publicScore ?? 0))[0];
    assert.ok(best);
    assert.equal(await page.locator(`tbody tr:has(a[href="/s/${best.id}"])`, { hasText: 'on the leaderboard' }).count(), 1, 'the best one');
    // The smoke test ends while the page is open: its row changes without a reload.
    await page.locator('tbody tr', { hasText: 'smoke test (sample score)' }).filter({ hasText: 'scored' }).waitFor({ timeout: 30_000 });
    await b.screenshot('22-my-submissions');

    await b.context.clearCookies();
    await call(h.url, 'POST', '/api/competitions/digits/rules', await signIn('loner'));
    await page.goto(`${h.url}/c/digits/submit`);
    await page.getByText(/you can join or change a team only on a day you have not submitted/).waitFor();
    assert.deepEqual(b.problems, []);
  });

  it('renders every page at 1440 and 390 px without sideways scrolling (screenshots of each)', async () => {
    const { page } = b;
    const admin = await h.admin();
    const token = await h.participant('sweeper');
    assert.equal((await call(h.url, 'PUT', '/api/admin/users/sweeper/role', admin, { role: 'admin' })).status, 200);
    await call(h.url, 'POST', '/api/competitions/digits/rules', token);
    const team = (await call(h.url, 'POST', '/api/competitions/digits/teams', token, { name: 'Sweepers' })).body as { inviteCode: string };
    const sent = await upload(h.url, token, 'digits', await trivialSubmission(), '?kind=smoke');
    await waitForFinal(h.url, token, String(sent.body.id));
    await b.context.clearCookies();
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill('sweeper');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'sweeper' }).waitFor();
    const pages: [string, string][] = [
      ['competitions', '/'], ['overview', '/c/digits'], ['data', '/c/digits/data'], ['rules', '/c/digits/rules'], ['submit', '/c/digits/submit'],
      ['my-submissions', '/c/digits/submissions'], ['leaderboard', '/c/digits/leaderboard'], ['team', '/c/digits/team'], ['host', '/c/digits/host'],
      ['submission', `/s/${String(sent.body.id)}`], ['profile', '/profile'], ['new-competition', '/host/new'], ['queue', '/queue'], ['admin', '/admin'],
      ['join', `/join/${team.inviteCode}`], ['signin', '/signin'], ['signup', '/signup'],
    ];
    const wide: string[] = [];
    for (const width of [1440, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, url] of pages) {
        await page.goto(`${h.url}${url}`);
        await page.locator('main h1').first().waitFor();
        await page.waitForTimeout(100);
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        if (overflow > 0) wide.push(`${name} at ${width} px: ${overflow} px too wide`);
        await b.screenshot(`pages/${name}-${width}`);
      }
    }
    await page.setViewportSize({ width: 1200, height: 900 });
    assert.deepEqual(wide, []);
    assert.deepEqual(b.problems, []);
  });
});
