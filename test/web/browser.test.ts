import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { createUser } from '../../src/app/accounts.js';
import { installCompetition } from '../../src/app/install-competition.js';
import { zipFolder } from '../../src/archive/zip-folder.js';
import { demoBundle, ensureExampleModel, exampleSubmission, startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';
import { browserSkipReason, ensureWebBuilt, injectedEffects, openBrowser, type Browser } from './browser.js';
import { call } from './web-client.js';

const skip = browserSkipReason();
const PAYLOAD = '<script>window.__pwned="script"</script><img src=x onerror="window.__pwned=\'onerror\'">';

/** A copy of the demo bundle under another slug, its overview planted with script payloads. */
async function bundleZip(slug: string, edit: (yaml: string) => string = (y) => y): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-web-bundle-'));
  await cp(demoBundle, dir, { recursive: true });
  const yaml = path.join(dir, 'competition.yaml');
  await writeFile(yaml, edit((await readFile(yaml, 'utf8')).replace('slug: digits', `slug: ${slug}`).replace(/wall_time: .*/, 'wall_time: 30s')));
  await writeFile(path.join(dir, 'overview.md'), `# Planted\n\n${PAYLOAD}\n\n[click me](javascript:window.__pwned='link')\n\n<svg onload="window.__pwned='svg'"></svg>\n`);
  await zipFolder(dir, `${dir}.zip`);
  return `${dir}.zip`;
}

describe('the web app in Chromium', { skip }, () => {
  let h: TestHoldout;
  let b: Browser;
  let zip: string;
  before(async () => {
    ensureWebBuilt();
    ensureExampleModel();
    h = await startHoldout({ editYaml: (y) => y.replace(/wall_time: .*/, 'wall_time: 30s') });
    zip = await zipSubmission(exampleSubmission);
    b = await openBrowser();
  });
  after(async () => {
    await b?.close();
    await h?.close();
  });

  it('walks a participant from sign-up to a scored submission on the leaderboard', async () => {
    const { page } = b;
    await page.goto(`${h.url}/`);
    await page.getByRole('heading', { name: 'Open now' }).waitFor();
    assert.equal(await page.title(), 'Competitions · Holdout');
    await b.screenshot('01-competitions');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Username').fill('walker');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('link', { name: 'walker' }).waitFor();

    await page.getByRole('link', { name: 'Handwritten digits' }).click();
    await page.getByRole('heading', { name: 'Runtime and limits' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Submissions left today: 10 of 10 full runs/);
    await b.screenshot('02-competition-overview');
    await page.getByRole('link', { name: 'Data' }).click();
    await page.getByRole('link', { name: 'train/train_features.csv' }).waitFor();
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByText('Accept the').waitFor();
    await page.getByRole('link', { name: 'rules', exact: true }).click();
    await page.getByRole('button', { name: 'I accept the rules' }).click();
    await page.getByText('You accepted these rules').waitFor();

    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByRole('button', { name: 'Upload and run' }).waitFor();
    await page.getByLabel(/Full run/).check();
    await page.getByLabel('submission.zip').setInputFiles(zip);
    await page.getByRole('button', { name: 'Upload and run' }).click();
    // The status updates by itself (server-sent events): no reload.
    await page.getByText('Public score:').waitFor({ timeout: 120_000 });
    await b.screenshot('03-submitted-and-scored');
    // Its code comes back as uploaded, named after the competition and the submission.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^code \(zip/ }).click()]);
    assert.match(download.suggestedFilename(), /^digits-[0-9a-f]{8}\.zip$/);
    assert.ok((await readFile(await download.path())).equals(await readFile(zip)), 'the downloaded zip is the uploaded one');
    await page.getByRole('link', { name: 'all my submissions' }).click();
    await page.getByRole('checkbox').waitFor();
    await b.screenshot('04-my-submissions');
    await page.getByRole('link', { name: 'Leaderboard' }).click();
    await page.getByRole('heading', { name: 'Best public score over time' }).waitFor();
    await page.getByRole('cell', { name: 'walker' }).waitFor();
    assert.ok(await page.locator('svg.plot path').count() >= 1, 'the score-over-time plot is drawn');
    await b.screenshot('05-leaderboard');
    await page.setViewportSize({ width: 390, height: 844 });
    await b.screenshot('06-leaderboard-phone');
    await page.setViewportSize({ width: 1200, height: 900 });
    // Keyboard: a navigation moves focus to the content, whose first link (the crumb) Tab reaches and Enter follows.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate<string>('document.activeElement?.closest("main") ? document.activeElement.textContent : ""'), 'Competitions');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Open now' }).waitFor();
    assert.deepEqual(b.problems, []);
  });

  it('walks a host from a bundle upload (a broken one first) to revealing the private leaderboard', async () => {
    const admin = await h.admin();
    await h.participant('hoster');
    assert.equal((await call(h.url, 'PUT', '/api/admin/users/hoster/role', admin, { role: 'host' })).status, 200);
    const { page, context } = b;
    await context.clearCookies();
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill('hoster');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'New competition' }).click();
    assert.equal(await page.title(), 'New competition · Holdout');

    await page.getByLabel(/Bundle zip/).setInputFiles(await bundleZip('broken-one', (y) => y.replace('memory: 1GiB', 'memory: lots')));
    await page.getByRole('button', { name: 'Upload bundle' }).click();
    await page.getByText('The bundle was not accepted').waitFor();
    assert.match(await page.locator('[role=alert]').innerText(), /limits\.memory/);
    await b.screenshot('07-bundle-errors');

    await page.getByLabel(/Bundle zip/).setInputFiles(await bundleZip('planted'));
    await page.getByRole('button', { name: 'Upload bundle' }).click();
    await page.getByRole('heading', { name: 'Private leaderboard' }).waitFor({ timeout: 15_000 });

    const player = await h.participant('player');
    const sent = await upload(h.url, player, 'planted', zip);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal((await waitForFinal(h.url, player, String(sent.body.id))).status, 'scored');
    await page.reload();
    await page.getByRole('cell', { name: 'player' }).waitFor();
    await b.screenshot('08-host-page');
    await page.getByRole('button', { name: 'Reveal the private leaderboard' }).click();
    await page.getByRole('button', { name: 'Yes, reveal it' }).click();
    await page.getByRole('button', { name: 'Hide the private leaderboard' }).waitFor();
    await page.getByRole('link', { name: 'Queue', exact: true }).click();
    await page.getByRole('heading', { name: 'Workers alive (1)' }).waitFor();
    await b.screenshot('09-queue');

    await context.clearCookies();
    await page.goto(`${h.url}/c/planted/leaderboard?part=private`);
    await page.getByRole('cell', { name: 'player' }).waitFor();
    assert.match(await page.locator('th').nth(2).innerText(), /accuracy \(private\)/);
    await b.screenshot('10-private-leaderboard');
    await page.goto(`${h.url}/api/docs`);
    assert.equal(await page.title(), 'API reference · Holdout');
    assert.deepEqual(b.problems, []);
  });

  it('runs none of the script planted in Markdown, team names, reasons, token names and log lines', async () => {
    const { page, context } = b;
    const host = await h.admin();
    const victim = await h.participant('victim');
    await call(h.url, 'POST', '/api/competitions/planted/rules', victim);
    assert.equal((await call(h.url, 'POST', '/api/competitions/planted/teams', victim, { name: PAYLOAD.slice(0, 60) })).status, 201);
    assert.equal((await call(h.url, 'POST', '/api/tokens', victim, { name: PAYLOAD.slice(0, 100) })).status, 201);
    // A smoke run whose log lines and error carry the payloads.
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-xss-sub-'));
    await writeFile(path.join(dir, 'main.py'), `import sys\nprint(${JSON.stringify(PAYLOAD)})\nsys.stderr.write(${JSON.stringify(PAYLOAD)} + "\\n")\nsys.exit(1)\n`);
    const evil = await upload(h.url, victim, 'planted', await zipSubmission(dir), '?kind=smoke');
    assert.equal(evil.status, 201, JSON.stringify(evil.body));
    assert.equal((await waitForFinal(h.url, victim, String(evil.body.id))).status, 'failed');
    assert.equal((await call(h.url, 'POST', '/api/competitions/planted/disqualifications', host, { username: 'player', reason: PAYLOAD })).status, 201);

    await context.clearCookies();
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill('victim');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'victim' }).waitFor();
    const visits: [string, string][] = [
      ['/c/planted', 'Planted'],
      ['/c/planted/team', 'Invite link'],
      ['/c/planted/submissions', 'Submissions of team'],
      [`/s/${String(evil.body.id)}`, 'Show the log'],
      ['/profile', 'API tokens'],
    ];
    for (const [url, text] of visits) {
      await page.goto(`${h.url}${url}`);
      await page.getByText(text).first().waitFor();
      if (url.startsWith('/s/')) {
        await page.getByRole('button', { name: 'Show the log' }).click();
        await page.locator('pre.log').waitFor();
        assert.ok((await page.locator('pre.log').innerText()).includes('<script>'), 'the log shows the payload as text');
      }
      await page.waitForTimeout(200);
      const effects = await injectedEffects(page);
      assert.deepEqual(effects, { pwned: null, violations: [] }, url);
    }
    await b.screenshot('11-xss-log-as-text');
    await page.goto(`${h.url}/c/planted/team`);
    await page.getByRole('heading', { name: /Your team/ }).waitFor();
    assert.ok((await page.locator('main').innerText()).includes('<img src=x onerror='), 'the team name shows as text');
    await page.goto(`${h.url}/c/planted`);
    await page.getByRole('heading', { name: 'Planted' }).waitFor();
    // The javascript: link is not made a link at all.
    assert.equal(await page.locator('a[href^="javascript"]').count(), 0);
    // As the host: the disqualification reason and every submission.
    await context.clearCookies();
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill('hoster');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'hoster' }).waitFor();
    await page.goto(`${h.url}/c/planted/host`);
    await page.getByRole('heading', { name: 'Disqualifications' }).waitFor();
    await page.waitForTimeout(200);
    assert.deepEqual(await injectedEffects(page), { pwned: null, violations: [] });
    assert.ok(!b.problems.some((p) => p.startsWith('dialog')), b.problems.join('\n'));
  });

  it("lets a host carry a phase's selections from the host page, and anyone pick a phase's leaderboard", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-web-phases-'));
    await cp(demoBundle, dir, { recursive: true });
    const day = 86_400_000;
    /** Two phases of the demo; the final one carries the development selections. */
    const install = async (finalOpen: boolean) => {
      const at = (days: number) => new Date(Date.now() + days * day).toISOString();
      const [devStart, devEnd, finalEnd] = finalOpen ? [at(-20), at(-10), at(10)] : [at(-10), at(10), at(20)];
      const yaml = parse(await readFile(path.join(demoBundle, 'competition.yaml'), 'utf8')) as Record<string, unknown>;
      Object.assign(yaml, { slug: 'phased', title: 'Phased digits' });
      (yaml.limits as Record<string, unknown>).wall_time = '30s';
      yaml.phases = [{ name: 'development', start: devStart, end: devEnd }, { name: 'final', start: devEnd, end: finalEnd, carry_selections: true }];
      await writeFile(path.join(dir, 'competition.yaml'), stringify(yaml));
      await installCompetition(dir, h.ctx);
    };
    await install(false);
    const phaser = await h.participant('phaser');
    const sent = await upload(h.url, phaser, 'phased', zip);
    assert.equal((await waitForFinal(h.url, phaser, String(sent.body.id))).status, 'scored');
    await install(true);

    await createUser(h.ctx.users, 'phase-host', 'correct horse battery', 'admin');
    const { page, context } = b;
    await context.clearCookies();
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill('phase-host');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'phase-host' }).waitFor();
    await page.goto(`${h.url}/c/phased/host`);
    await page.getByRole('button', { name: 'Carry selections into final' }).click();
    await page.getByRole('button', { name: 'Yes, carry them' }).click();
    await page.getByText('1 selected submission of phase "development" carried into phase "final"').waitFor();
    await b.screenshot('11-carried-selections');

    const [carried] = await h.ctx.db.selectFrom('submissions').select('id').where('carried_from', '=', String(sent.body.id)).execute();
    assert.equal((await waitForFinal(h.url, phaser, String(carried?.id))).status, 'scored');
    await page.goto(`${h.url}/c/phased/leaderboard`);
    await page.getByRole('link', { name: 'final', exact: true }).click();
    await page.waitForURL(/\?phase=final$/);
    // The page is rendered again for the phase: its link is the current one then.
    await page.locator('nav[aria-label="Leaderboard phase"] a[aria-current="page"]', { hasText: 'final' }).waitFor();
    await page.getByRole('cell', { name: 'phaser' }).waitFor();
    assert.match(await page.getByRole('link', { name: 'Download as CSV' }).getAttribute('href') ?? '', /part=public&phase=final$/);
    await b.screenshot('12-phase-leaderboard');
    // Each phase ranks its own runs: the development board has the original, the final one the carried run.
    const entry = (await call(h.url, 'GET', '/api/competitions/phased/leaderboard?phase=final')).body as { rows: Array<{ submissionId: string }> };
    assert.deepEqual(entry.rows.map((r) => r.submissionId), [carried?.id]);
    assert.deepEqual(b.problems, []);
  });
});
