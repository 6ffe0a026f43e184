import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { browserSkipReason, ensureWebBuilt, openBrowser, type Browser } from './browser.js';

/** Issue 16, part 6: a participant is told in the web app when a run ends, on whatever page they are. */
describe('run notices and notification settings, in Chromium', { skip: browserSkipReason() }, () => {
  let h: TestHoldout;
  let b: Browser;
  before(async () => {
    ensureWebBuilt();
    h = await startHoldout();
    b = await openBrowser();
  });
  after(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows a notice on the profile page when a run sent from elsewhere ends, and saves a webhook there', async () => {
    const name = 'notice-reader';
    const token = await h.participant(name);
    const { page } = b;
    await page.goto(`${h.url}/signin`);
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();

    // The run is sent through the API (a script, the CLI): the page never asked about it.
    const sent = await upload(h.url, token, 'digits', await trivialSubmission({ label: 1 }));
    const final = await waitForFinal(h.url, token, String(sent.body.id));
    assert.equal(final.status, 'scored');
    const notice = page.getByRole('status').getByText(/Your submission to .+ was scored/);
    await notice.waitFor({ timeout: 15_000 });
    assert.equal(await page.getByRole('status').getByRole('link', { name: 'See it' }).getAttribute('href'), `/s/${String(sent.body.id)}`);
    assert.match(new URL(page.url()).pathname, /^\/profile$/, 'still on the page they were on');

    await page.getByLabel('Webhook URL').fill('http://127.0.0.1:9/hook');
    await page.getByRole('button', { name: 'Save webhook' }).click();
    await page.getByText('copy it now, it is not shown again').waitFor();
    assert.match((await page.locator('code.token').last().textContent()) ?? '', /^[0-9a-f]{48}$/);
    assert.deepEqual(b.problems, []);
  });
});
