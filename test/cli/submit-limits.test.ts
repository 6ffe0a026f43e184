import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoBundle, ensureExampleModel, exampleSubmission, startHoldout, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';
import { call } from '../web/web-client.js';
import { CliUser, lastLine, show } from './cli-harness.js';

describe('holdout submit and competition publish check the published upload limit before sending', () => {
  let h: TestHoldout;
  let user: CliUser;
  let token: string;
  before(async () => {
    ensureExampleModel();
    h = await startHoldout({ config: { maxUploadBytes: 20 * 1024 } });
    user = await CliUser.create();
    token = await h.participant('limited');
    assert.equal((await user.login(h.url, 'limited')).code, 0);
    await call(h.url, 'POST', '/api/competitions/digits/rules', token);
  });
  after(async () => {
    await user?.cleanup();
    await h?.close();
  });

  it('refuses a zip over the limit with its own name, exit 3, and uploads nothing', async () => {
    const zip = path.join(user.home, 'my-model.zip');
    await copyFile(await zipSubmission(exampleSubmission), zip);
    const run = await user.run(['submit', zip, '--competition', 'digits', '--smoke']);
    assert.equal(run.code, 3, show(run));
    assert.match(lastLine(run.stderr), /^holdout: .*my-model\.zip is \d+(\.\d+)? KiB, larger than the limit of 20 KiB for a submission to digits; remove files/);
    assert.doesNotMatch(run.stderr, /uploading/, 'no upload was started');
    assert.deepEqual((await call(h.url, 'GET', '/api/competitions/digits/submissions', token)).body, []);
  });

  it('publish refuses a bundle over the server\'s limit before uploading, and creates nothing', async () => {
    const admin = await h.admin();
    await h.participant('big-host');
    assert.equal((await call(h.url, 'PUT', '/api/admin/users/big-host/role', admin, { role: 'host' })).status, 200);
    const host = await CliUser.create();
    try {
      assert.equal((await host.login(h.url, 'big-host')).code, 0);
      const run = await host.run(['competition', 'publish', demoBundle, '--update']);
      assert.equal(run.code, 3, show(run));
      assert.match(lastLine(run.stderr), /^holdout: .*bundle zips to \d+(\.\d+)? KiB, larger than the limit of 20 KiB of http:\/\/127\.0\.0\.1:\d+; leave large public files out/);
      assert.doesNotMatch(run.stderr, /uploading/, 'no upload was started');
      const limits = await call(h.url, 'GET', '/api/upload-limits');
      assert.deepEqual(limits.body, { maxZipBytes: 20 * 1024, maxUnpackedBytes: h.ctx.config.maxUnpackedBytes, maxFiles: h.ctx.config.maxFiles });
    } finally {
      await host.cleanup();
    }
  });
});
