import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { missingHostRequirements } from '../../src/executors/sandbox/host-check.js';
import { startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { CliUser, lastLine, show } from './cli-harness.js';

const sandboxMissing = missingHostRequirements();

/** What a newcomer missed in the CLI (issue 14). */
describe('the CLI for a newcomer', { skip: sandboxMissing.length > 0 ? `the sandbox cannot run here: ${sandboxMissing.join('; ')}` : false }, () => {
  let h: TestHoldout;
  let user: CliUser;
  before(async () => {
    h = await startHoldout({ editYaml: (y) => y.replace(/wall_time: .*/, 'wall_time: 20s') });
    user = await CliUser.create();
  });
  after(async () => {
    await user?.cleanup();
    await h?.close();
  });

  it('register creates an account and logs in; a taken name is refused in one line', async () => {
    const run = await user.run(['register', '--server', h.url, '--username', 'newcomer', '--password-stdin'], { input: 'correct horse battery\n' });
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^Created the account newcomer on http:\/\/127\.0\.0\.1:\d+; the API token is saved in /);
    const whoami = await user.run(['whoami']);
    assert.match(whoami.stdout, /^newcomer \(participant\)/);
    const again = await (await CliUser.create()).run(['register', '--server', h.url, '--username', 'newcomer', '--password-stdin'], { input: 'correct horse battery\n' });
    assert.equal(again.code, 8, show(again));
    assert.match(lastLine(again.stderr), /^holdout: .*newcomer/);
  });

  it('status shows the reason in its own column, and a short id prefix resolves for status and logs', async () => {
    // The newcomer's own runs: one scored, one failing smoke test with a log.
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-cli-fail-'));
    await writeFile(path.join(dir, 'main.py'), 'print("about to fail", flush=True)\nraise SystemExit(2)\n');
    const res = await fetch(`${h.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'newcomer', password: 'correct horse battery' }) });
    const login = ((await res.json()) as { token: string }).token;
    const failed = await upload(h.url, login, 'digits', await zipSubmission(dir), '?kind=smoke');
    const failedId = String(failed.body.id);
    assert.equal((await waitForFinal(h.url, login, failedId)).status, 'failed');
    const list = await user.run(['status', '--competition', 'digits']);
    assert.equal(list.code, 0, show(list));
    assert.match(list.stdout, /^id\s+kind\s+status\s+reason\s+score\s+submitted \(UTC\)$/m);
    assert.match(list.stdout, new RegExp(`^${failedId.slice(0, 8)}\\s+smoke\\s+failed\\s+nonzero_exit\\s+-\\s+\\d{4}-`, 'm'));
    const one = await user.run(['status', failedId.slice(0, 6)]);
    assert.equal(one.code, 0, show(one));
    assert.match(one.stdout, new RegExp(`^${failedId}\\s+smoke run`));
    const log = await user.run(['logs', failedId.slice(0, 8)]);
    assert.equal(log.code, 0, show(log));
    assert.match(log.stdout, /about to fail/);
    // Colour where asked for (a terminal, or FORCE_COLOR), and never with NO_COLOR.
    const coloured = await user.run(['status', '--competition', 'digits'], { env: { FORCE_COLOR: '1' } });
    assert.match(coloured.stdout, /\u001b\[31mfailed\s*\u001b\[0m/);
    const plain = await user.run(['status', '--competition', 'digits'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    assert.doesNotMatch(plain.stdout, /\u001b\[/);
    assert.doesNotMatch(list.stdout, /\u001b\[/, 'no colour into a pipe');
    const unknown = await user.run(['status', 'ffff0000']);
    assert.equal(unknown.code, 4, show(unknown));
    assert.match(lastLine(unknown.stderr), /no submission of yours starts with "ffff0000"/);
  });

  it('leaderboard shows every metric and a shared rank for equal scores', async () => {
    const zip = await trivialSubmission({ label: 3 });
    for (const name of ['even-a', 'even-b']) {
      const token = await h.participant(name);
      const sent = await upload(h.url, token, 'digits', zip);
      assert.equal((await waitForFinal(h.url, token, String(sent.body.id))).status, 'scored');
    }
    const board = await user.run(['leaderboard', 'digits']);
    assert.equal(board.code, 0, show(board));
    assert.match(board.stdout, /^rank\s+entrant\s+accuracy\s+f1_macro\s+entries/m);
    assert.match(board.stdout, /^1=\s+even-a\s+0\.\d{4}\s+0\.\d{4}\s+1\s/m);
    assert.match(board.stdout, /^1=\s+even-b\s/m);
  });
});
