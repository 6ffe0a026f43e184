import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoBundle, startHoldout, type TestHoldout } from '../helpers/holdout-server.js';
import { call } from '../web/web-client.js';
import { CliUser, lastLine, show } from './cli-harness.js';

/** A copy of the demo bundle under another slug. */
async function bundleAs(slug: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-cli-bundle-'));
  await cp(demoBundle, dir, { recursive: true });
  const yaml = path.join(dir, 'competition.yaml');
  await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('slug: digits', `slug: ${slug}`));
  return dir;
}

describe('holdout competition create and publish', () => {
  let h: TestHoldout;
  let user: CliUser;
  before(async () => {
    h = await startHoldout();
    user = await CliUser.create();
  });
  after(async () => {
    await user?.cleanup();
    await h?.close();
  });

  it('create refuses a slug that exists unless --update', async () => {
    const env = { HOLDOUT_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'holdout-cli-data-')) };
    const bundle = await bundleAs('local-one');
    assert.equal((await user.run(['competition', 'create', bundle], { env })).code, 0);
    const again = await user.run(['competition', 'create', bundle], { env });
    assert.equal(again.code, 8, show(again));
    assert.match(lastLine(again.stderr), /^holdout: competition "local-one" exists already; "competition create --update"/);
    const update = await user.run(['competition', 'create', '--update', bundle], { env });
    assert.equal(update.code, 0, show(update));
    assert.match(update.stdout, /^updated competition "local-one"/);
  });

  it('publish uploads a bundle folder to a server as a host, refusing an existing slug unless --update', async () => {
    const admin = await h.admin();
    await h.participant('publisher');
    assert.equal((await call(h.url, 'PUT', '/api/admin/users/publisher/role', admin, { role: 'host' })).status, 200);
    assert.equal((await user.login(h.url, 'publisher')).code, 0);
    const bundle = await bundleAs('remote-one');
    const run = await user.run(['competition', 'publish', bundle]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^created competition "remote-one" \(Handwritten digits\) on http:\/\/127\.0\.0\.1:\d+: http:\/\/127\.0\.0\.1:\d+\/c\/remote-one$/m);
    assert.equal((await call(h.url, 'GET', '/api/competitions/remote-one')).status, 200);
    const again = await user.run(['competition', 'publish', bundle]);
    assert.equal(again.code, 8, show(again));
    const update = await user.run(['competition', 'publish', bundle, '--update']);
    assert.equal(update.code, 0, show(update));
    assert.match(update.stdout, /^updated competition "remote-one"/m);

    const broken = await bundleAs('remote-two');
    await writeFile(path.join(broken, 'competition.yaml'), (await readFile(path.join(broken, 'competition.yaml'), 'utf8')).replace('memory: 1GiB', 'memory: lots'));
    const refused = await user.run(['competition', 'publish', broken]);
    assert.equal(refused.code, 3, show(refused));
    assert.match(refused.stderr, /limits\.memory/);
  });
});
