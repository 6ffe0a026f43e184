import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3BlobStore } from '../../src/storage/s3/s3-blob-store.js';
import { predictionsKey } from '../../src/worker/kept-predictions.js';
import { startS3rver, type S3rverServer } from '../helpers/s3rver.js';
import { demoBundle, startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';

const s3 = await startS3rver().catch((err: Error) => err);
const skip = s3 instanceof Error ? `s3rver did not start: ${s3.message}` : undefined;
after(() => (s3 instanceof Error ? undefined : s3.stop()));

function running(): S3rverServer {
  if (s3 instanceof Error) throw s3;
  return s3;
}

/** Holdout's configuration for a fresh bucket of the s3rver, and a store that reads that bucket. */
function onS3(extra: Record<string, unknown> = {}): { config: Record<string, unknown>; blobs: S3BlobStore } {
  const { endpoint, credentials } = running();
  const bucket = `e2e-${randomUUID()}`;
  const config = { blobStore: 's3', s3Endpoint: endpoint, s3Bucket: bucket, s3ForcePathStyle: true, s3AccessKeyId: credentials.accessKeyId, s3SecretAccessKey: credentials.secretAccessKey, ...extra };
  return { config, blobs: new S3BlobStore({ endpoint, bucket, forcePathStyle: true, credentials }) };
}

describe('Holdout with HOLDOUT_BLOB_STORE=s3 (s3rver)', { skip }, () => {
  let h: TestHoldout;
  let blobs: S3BlobStore;
  before(async () => {
    const s = onS3({ workers: 1, signedDownloads: true });
    blobs = s.blobs;
    h = await startHoldout({ config: s.config });
  });
  after(() => h.close());

  it('keeps the zip, the log, the predictions and the bundle in the bucket, and signs downloads', async () => {
    const token = await h.participant();
    const zip = await trivialSubmission();
    const sent = await upload(h.url, token, 'digits', zip);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const id = String(sent.body.id);
    const done = await waitForFinal(h.url, token, id);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    const row = await h.ctx.submissions.get(id);
    assert.ok(row?.log_key);
    assert.equal((await blobs.stat(row.zip_key))?.bytes, (await stat(zip)).size, 'the whole zip');
    assert.ok(((await blobs.stat(predictionsKey(id)))?.bytes ?? 0) > 0, 'the predictions');
    const all: string[] = [];
    for await (const k of blobs.list('')) all.push(k);
    assert.ok(all.some((k) => k.endsWith('/.complete')), 'the competition bundle');
    assert.equal(existsSync(h.ctx.config.blobDir), false, 'no local blob folder was written');

    const res = await fetch(`${h.url}/api/competitions/digits/files/train/train_labels.csv`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(location.origin, new URL(running().endpoint).origin, 'straight from the blob store');
    assert.equal(location.searchParams.get('X-Amz-Expires'), '900', 'expires in 15 minutes');
    const file = await fetch(location);
    assert.equal(file.headers.get('content-disposition'), 'attachment; filename="train_labels.csv"');
    assert.equal(await file.text(), await readFile(path.join(demoBundle, 'train', 'train_labels.csv'), 'utf8'));
  });

  it('refuses to start when the bucket cannot be reached, saying what to check', async () => {
    const { config } = onS3({ workers: 0, s3AccessKeyId: 'WRONG' });
    await assert.rejects(startHoldout({ config }), /s3 blob store: cannot open bucket e2e-[0-9a-f-]+ at http:\/\/127\.0\.0\.1:\d+: access denied \(403\)/);
  });
});
