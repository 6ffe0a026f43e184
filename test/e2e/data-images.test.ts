import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
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

it('runs read the test features from the mounted data image, not from the copied bundle', { skip }, async () => {
  const competition = (await h.ctx.competitions.bySlug('digits'))!;
  const image = competition.dataImages?.test;
  assert.ok(image, 'install recorded a data image for the test features');
  const token = await h.participant();
  const first = await waitForFinal(h.url, token, String((await upload(h.url, token, 'digits', await zipSubmission(exampleSubmission))).body.id));
  assert.equal(first.status, 'scored', JSON.stringify(first));
  const mount = path.join(h.dataDir, 'cache', 'images', 'mnt', image.digest.slice('sha256:'.length));
  assert.ok((await mountPoints()).has(mount), 'the image is mounted under the worker cache');

  // Without the copied features, a run that scores again can only have read the image.
  const bundles = path.join(h.dataDir, 'cache', 'bundles');
  const [bundleDir] = await readdir(bundles);
  await rm(path.join(bundles, bundleDir!, image.folder), { recursive: true, force: true });
  const second = await waitForFinal(h.url, token, String((await upload(h.url, token, 'digits', await zipSubmission(exampleSubmission))).body.id));
  assert.equal(second.status, 'scored', JSON.stringify(second));
  assert.deepEqual(second.scores ?? second.public_score, first.scores ?? first.public_score);

  await h.ctx.close();
  assert.ok(!(await mountPoints()).has(mount), 'a worker that stops unmounts its images');
});
