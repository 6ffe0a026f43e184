import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startRelay } from '../helpers/tcp-relay.js';
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

  it('publish resumes an interrupted bundle upload where the server stopped; a bad bundle installs nothing', async () => {
    const admin = await h.admin();
    await h.participant('resumer');
    assert.equal((await call(h.url, 'PUT', '/api/admin/users/resumer/role', admin, { role: 'host' })).status, 200);
    const port = Number(new URL(h.url).port);
    const relay = await startRelay('127.0.0.1', { host: '127.0.0.1', port });
    const viaRelay = `http://127.0.0.1:${relay.port}`;
    try {
      assert.equal((await user.login(viaRelay, 'resumer')).code, 0);
      const bundle = await bundleAs('remote-big');
      // Incompressible, so the zip is large enough to stop in the middle of.
      await writeFile(path.join(bundle, 'train', 'weights.bin'), randomBytes(24 << 20));
      const uploadsOf = async () => (await h.ctx.db.selectFrom('uploads').selectAll().where('kind', '=', 'bundle').execute())
        .filter((u) => (JSON.parse(u.metadata) as { slug?: string }).slug === 'remote-big');
      // The line goes quiet after 8 MiB, then drops: the CLI gives up and says to run it again.
      relay.stallAfter(8 << 20);
      const cut = (async () => {
        while (relay.forwarded < 8 << 20) await sleep(50);
        relay.cut();
      })();
      const stopped = await user.run(['competition', 'publish', bundle]);
      await cut;
      assert.equal(stopped.code, 6, show(stopped));
      assert.match(stopped.stderr, /run the same command again to continue where it stopped/);
      let rows = await uploadsOf();
      for (let i = 0; i < 100 && Number(rows[0]?.received ?? 0) === 0; i++, rows = await uploadsOf()) await sleep(50);
      assert.equal(rows.length, 1);
      const kept = Number(rows[0]?.received);
      assert.ok(kept > 4 << 20 && kept < Number(rows[0]?.length), `the server kept part of the upload (${kept} bytes)`);
      assert.equal((await call(h.url, 'GET', '/api/competitions/remote-big')).status, 404, 'nothing installed yet');

      relay.restore();
      relay.stallAfter(undefined);
      const resumed = await user.run(['competition', 'publish', bundle]);
      assert.equal(resumed.code, 0, show(resumed));
      assert.match(resumed.stdout, /^created competition "remote-big"/m);
      const after = await uploadsOf();
      assert.deepEqual(after.map((u) => [u.id, u.completed]), [[rows[0]?.id, 1]], 'the same upload continued: no second one was started');
      assert.equal(relay.forwarded - (8 << 20) < Number(rows[0]?.length) - kept + (1 << 20), true, 'the bytes the server had were not sent again');
      assert.equal((await call(h.url, 'GET', '/api/competitions/remote-big')).status, 200);

      const broken = await bundleAs('remote-bad');
      await writeFile(path.join(broken, 'competition.yaml'), (await readFile(path.join(broken, 'competition.yaml'), 'utf8')).replace('memory: 1GiB', 'memory: lots'));
      const refused = await user.run(['competition', 'publish', broken]);
      assert.equal(refused.code, 3, show(refused));
      assert.match(refused.stderr, /limits\.memory/);
      assert.equal((await call(h.url, 'GET', '/api/competitions/remote-bad')).status, 404);
      const left: string[] = [];
      for (const prefix of ['uploads', 'bundle-uploads']) for await (const k of h.ctx.blobs.list(prefix)) left.push(k);
      assert.deepEqual(left, [], 'no parts or assembled zip are left');
      const badRows = await h.ctx.db.selectFrom('uploads').select('id').where('metadata', 'like', '%"slug":"remote-bad"%').execute();
      assert.deepEqual(badRows, [], 'the refused upload is gone: the next try starts afresh');
    } finally {
      await relay.close();
    }
  });
});
