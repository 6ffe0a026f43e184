import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AzureBlobStore } from '../../src/storage/azure/azure-blob-store.js';
import { predictionsKey } from '../../src/worker/kept-predictions.js';
import { startAzurite, type Azurite } from '../helpers/azurite.js';
import { demoBundle, startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { spawnWorker } from '../helpers/worker-process.js';

const azurite = await startAzurite().catch((err: Error) => err);
const skip = azurite instanceof Error ? `Azurite did not start: ${azurite.message}` : undefined;
after(() => (azurite instanceof Error ? undefined : azurite.stop()));

function running(): Azurite {
  if (azurite instanceof Error) throw azurite;
  return azurite;
}

/** A Holdout whose blobs live in a fresh Azurite container, and a store that reads that container. */
async function holdoutOnAzure(workers: number, extra: Record<string, unknown> = {}): Promise<{ h: TestHoldout; blobs: AzureBlobStore; env: Record<string, string> }> {
  const container = `e2e-${randomUUID()}`;
  const { connectionString } = running();
  const h = await startHoldout({ config: { workers, blobStore: 'azure', azureConnectionString: connectionString, azureContainer: container, ...extra } });
  const env = { HOLDOUT_BLOB_STORE: 'azure', HOLDOUT_AZURE_CONNECTION_STRING: connectionString, HOLDOUT_AZURE_CONTAINER: container };
  return { h, blobs: new AzureBlobStore({ connectionString, container }), env };
}

async function keys(blobs: AzureBlobStore, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for await (const k of blobs.list(prefix)) found.push(k);
  return found;
}

/** Submits the trivial submission, waits until it is scored, and checks where its blobs went. */
async function submitAndCheck(h: TestHoldout, blobs: AzureBlobStore): Promise<void> {
  const token = await h.participant();
  const zip = await trivialSubmission();
  const sent = await upload(h.url, token, 'digits', zip);
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const id = String(sent.body.id);
  const done = await waitForFinal(h.url, token, id);
  assert.equal(done.status, 'scored', JSON.stringify(done));

  const row = await h.ctx.submissions.get(id);
  assert.ok(row?.log_key, 'the run kept a log');
  const all = await keys(blobs);
  for (const key of [row.zip_key, row.log_key, predictionsKey(id)]) assert.ok(all.includes(key), `${key} is in Azurite`);
  assert.equal((await blobs.stat(row.zip_key))?.bytes, (await stat(zip)).size, 'the whole zip');
  assert.ok(((await blobs.stat(predictionsKey(id)))?.bytes ?? 0) > 0, 'the predictions');
  assert.equal((await blobs.stat(row.log_key))?.bytes, row.log_bytes, 'the whole log (empty: the submission prints nothing)');
  assert.ok(all.some((k) => k.endsWith('/.complete')), 'the competition bundle is in Azurite');
  // The server streams the log back from Azurite (full runs' logs are for hosts and admins only).
  const log = await fetch(`${h.url}/api/submissions/${id}/logs`, { headers: { authorization: `Bearer ${await h.admin()}` } });
  assert.equal(log.status, 200);
  assert.equal((await log.text()).length, row.log_bytes);
  assert.equal(existsSync(h.ctx.config.blobDir), false, 'no local blob folder was written');
}

describe('Holdout with HOLDOUT_BLOB_STORE=azure (Azurite)', { skip }, () => {
  describe('server with its in-process worker', () => {
    let h: TestHoldout;
    let blobs: AzureBlobStore;
    before(async () => ({ h, blobs } = await holdoutOnAzure(1)));
    after(() => h.close());

    it('keeps the submission zip, the log, the predictions and the bundle in Azure', () => submitAndCheck(h, blobs));

    it('serves public files itself unless signed downloads are on', async () => {
      const res = await fetch(`${h.url}/api/competitions/digits/files/train/train_labels.csv`, { redirect: 'manual' });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), await readFile(path.join(demoBundle, 'train', 'train_labels.csv'), 'utf8'));
    });
  });

  describe('signed downloads (HOLDOUT_SIGNED_DOWNLOADS)', () => {
    let h: TestHoldout;
    before(async () => ({ h } = await holdoutOnAzure(0, { signedDownloads: true })));
    after(() => h.close());

    it('sends a public file download to a read-only URL of the blob store that expires, under the file name', async () => {
      const expected = await readFile(path.join(demoBundle, 'train', 'train_labels.csv'), 'utf8');
      const res = await fetch(`${h.url}/api/competitions/digits/files/train/train_labels.csv`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const location = new URL(res.headers.get('location') ?? '');
      assert.equal(location.origin, new URL(running().endpoint).origin, 'straight from the blob store');
      assert.equal(location.searchParams.get('sp'), 'r', 'read-only');
      assert.ok(Date.parse(location.searchParams.get('se') ?? '') <= Date.now() + 16 * 60_000, 'expires within 15 minutes');
      const file = await fetch(location);
      assert.equal(file.status, 200);
      assert.equal(file.headers.get('content-disposition'), 'attachment; filename="train_labels.csv"');
      assert.equal(await file.text(), expected);
      // A client that follows redirects (the CLI, a browser) gets the file with its own token on.
      const followed = await fetch(`${h.url}/api/competitions/digits/files/train/train_labels.csv`, { headers: { authorization: `Bearer ${await h.participant('reader')}` } });
      assert.equal(followed.status, 200);
      assert.equal(await followed.text(), expected);
      // Hidden files stay hidden: no URL is signed for them.
      assert.equal((await fetch(`${h.url}/api/competitions/digits/files/private/labels.csv`, { redirect: 'manual' })).status, 404);
    });

    it("sends a submission's code the same way, only to whom may read it", async () => {
      const token = await h.participant('coder');
      const zip = await trivialSubmission();
      const sent = await upload(h.url, token, 'digits', zip);
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const id = String(sent.body.id);
      const res = await fetch(`${h.url}/api/submissions/${id}/code`, { redirect: 'manual', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 302);
      const code = await fetch(res.headers.get('location') ?? '');
      assert.equal(code.headers.get('content-disposition'), `attachment; filename="digits-${id.slice(0, 8)}.zip"`);
      assert.ok(Buffer.from(await code.arrayBuffer()).equals(await readFile(zip)));
      const other = await fetch(`${h.url}/api/submissions/${id}/code`, { redirect: 'manual', headers: { authorization: `Bearer ${await h.participant('snoop')}` } });
      assert.equal(other.status, 404);
    });
  });

  describe('server and a separate holdout worker process', () => {
    let h: TestHoldout;
    let blobs: AzureBlobStore;
    let env: Record<string, string>;
    let workerDir: string;
    before(async () => {
      ({ h, blobs, env } = await holdoutOnAzure(0));
      workerDir = await mkdtemp(path.join(tmpdir(), 'holdout-azure-worker-'));
    });
    after(async () => {
      await h.close();
      await rm(workerDir, { recursive: true, force: true });
    });

    it('shares nothing but the database and the container: the worker has a data folder of its own', async () => {
      const w = await spawnWorker({ dataDir: workerDir, databaseUrl: h.ctx.config.databaseUrl, env });
      try {
        await submitAndCheck(h, blobs);
        assert.equal(existsSync(path.join(workerDir, 'blobs')), false, 'the worker wrote no local blobs');
      } finally {
        w.kill('SIGTERM');
        assert.equal(await w.exited, 0);
      }
    });

    it('a worker told to use azure without a connection string stops with the variable to set', async () => {
      const { HOLDOUT_AZURE_CONNECTION_STRING: _, ...without } = env;
      await assert.rejects(
        spawnWorker({ dataDir: workerDir, databaseUrl: h.ctx.config.databaseUrl, env: without }),
        /HOLDOUT_AZURE_CONNECTION_STRING: required when HOLDOUT_BLOB_STORE=azure/,
      );
    });

    it('a worker with a wrong account key stops at start, saying what to check', async () => {
      const wrong = running().connectionStringWithKey(Buffer.alloc(64, 7).toString('base64'));
      await assert.rejects(
        spawnWorker({ dataDir: workerDir, databaseUrl: h.ctx.config.databaseUrl, env: { ...env, HOLDOUT_AZURE_CONNECTION_STRING: wrong } }),
        /cannot open container .*: access denied \(\w+\): check the account name and key/,
      );
    });
  });
});
