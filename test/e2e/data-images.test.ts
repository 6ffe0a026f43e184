import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { mountPoints, mountSupport } from '../../src/data-images/mount-image.js';
import { canPack } from '../../src/data-images/pack-image.js';
import { ensureExampleModel, exampleSubmission, startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';

const support = await mountSupport();
const skip = !(await canPack()) ? 'mkfs.erofs is missing (apt-get install erofs-utils)' : support.ok ? undefined : support.reason;

let h: TestHoldout;
before(async () => {
  if (skip) return;
  ensureExampleModel();
  h = await startHoldout();
});
after(() => h?.close());

it('runs read the test features from the mounted data image; the bundle copy leaves them out', { skip }, async () => {
  const competition = (await h.ctx.competitions.bySlug('digits'))!;
  const image = competition.dataImages?.test;
  assert.ok(image, 'install recorded a data image for the test features');
  const token = await h.participant();
  const sent = await upload(h.url, token, 'digits', await zipSubmission(exampleSubmission));
  const done = await waitForFinal(h.url, token, String(sent.body.id));
  assert.equal(done.status, 'scored', JSON.stringify(done));
  const mount = path.join(h.dataDir, 'cache', 'images', 'mnt', image.digest.slice('sha256:'.length));
  assert.ok((await mountPoints()).has(mount), 'the image is mounted under the worker cache');
  // The copy holds what the scorer reads, not the features: the run can only have read the image.
  const bundles = path.join(h.dataDir, 'cache', 'bundles');
  const [copy, ...others] = await readdir(bundles);
  assert.deepEqual(others, []);
  assert.ok(existsSync(path.join(bundles, copy!, competition.config.data.labels)));
  assert.ok(!existsSync(path.join(bundles, copy!, image.folder)), `${image.folder} is not copied`);

  await h.ctx.close();
  assert.ok(!(await mountPoints()).has(mount), 'a worker that stops unmounts its images');
});
