import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHoldout, type TestHoldout } from '../helpers/holdout-server.js';
import { CliUser, lastLine, show } from './cli-harness.js';

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('holdout login / whoami / logout', () => {
  let h: TestHoldout;
  let user: CliUser;
  before(async () => {
    h = await startHoldout({ config: { workers: 0 } });
    user = await CliUser.create();
  });
  after(async () => {
    await user.cleanup();
    await h.close();
  });

  it('logs in with --password-stdin and stores {server, token} readable by the user only', async () => {
    await h.participant('carol');
    const run = await user.login(h.url, 'carol');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /Logged in to http:\/\/127\.0\.0\.1:\d+ as carol/);

    const file = path.join(user.configDir, 'holdout', 'config.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(path.dirname(file))).mode & 0o777, 0o700);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { server: string; token: string };
    assert.equal(saved.server, h.url);
    // The stored token is an API token: it works on its own.
    const me = await fetch(`${h.url}/api/me`, { headers: { authorization: `Bearer ${saved.token}` } });
    assert.equal(((await me.json()) as { username: string }).username, 'carol');

    const who = await user.run(['whoami', '--json']);
    assert.equal(who.code, 0, show(who));
    assert.equal((JSON.parse(who.stdout) as { username: string }).username, 'carol');
  });

  it('says "wrong username or password" in one line and exits 5', async () => {
    const other = await CliUser.create();
    const run = await other.login(h.url, 'carol', 'not the password');
    assert.equal(run.code, 5, show(run));
    assert.equal(run.stderr.trim().split('\n').length, 1, show(run));
    assert.equal(lastLine(run.stderr), 'holdout: wrong username or password');
    await other.cleanup();
  });

  it('exits 6 with one line when the server is down', async () => {
    const other = await CliUser.create();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await other.login(url, 'carol');
    assert.equal(run.code, 6, show(run));
    assert.equal(run.stderr.trim().split('\n').length, 1, show(run));
    assert.match(lastLine(run.stderr), /^holdout: cannot reach the Holdout server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    await other.cleanup();
  });

  it('exits 5 when a command needs a login and there is none, or the token was revoked', async () => {
    const stranger = await CliUser.create();
    const run = await stranger.run(['status', '--server', h.url]);
    assert.equal(run.code, 5, show(run));
    assert.match(lastLine(run.stderr), /you are not logged in to .*; run "holdout login --server/);
    await stranger.cleanup();

    const logout = await user.run(['logout']);
    assert.equal(logout.code, 0, show(logout));
    assert.match(logout.stdout, /Logged out of/);
    const after = await user.run(['whoami', '--server', h.url]);
    assert.equal(after.code, 5, show(after));
  });

  it('exits 2 on a usage error', async () => {
    const run = await user.run(['submit', 'submission.zip']);
    assert.equal(run.code, 2, show(run));
    assert.match(run.stderr, /required option '-c, --competition <slug>' not specified/);
    const unknown = await user.run(['sumbit']);
    assert.equal(unknown.code, 2, show(unknown));
    assert.match(unknown.stderr, /unknown command 'sumbit'/);
  });
});
