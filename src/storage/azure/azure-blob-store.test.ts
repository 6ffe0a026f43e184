import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { startAzurite } from '../../../test/helpers/azurite.js';
import { runBlobStoreSuite } from '../blob-store-suite.case.js';
import { AzureBlobStore } from './azure-blob-store.js';

// A real Azurite for the whole file; when it cannot start, every test is skipped with the reason.
const azurite = await startAzurite().catch((err: Error) => err);
const skip = azurite instanceof Error ? `Azurite did not start: ${azurite.message}` : undefined;
after(() => (azurite instanceof Error ? undefined : azurite.stop()));

/** A store on a container of its own (which does not exist yet), unless `container` names one. */
function freshStore(opts: { connectionString?: string; container?: string } = {}): AzureBlobStore {
  if (azurite instanceof Error) throw azurite;
  return new AzureBlobStore({ connectionString: opts.connectionString ?? azurite.connectionString, container: opts.container ?? `t-${randomUUID()}` });
}

runBlobStoreSuite('azure', async () => freshStore(), { skip, concat: false });

describe('AzureBlobStore', { skip }, () => {
  it('signs a read-only URL that plain fetch() can read, that refuses writes and that expires', async () => {
    const store = freshStore();
    await store.put('s/model.bin', Readable.from(['weights']));
    assert.ok(store.signedUrl, 'an account key can sign');
    // Expiry is signed to the second: a long one for the checks, a short one to see it expire.
    const url = await store.signedUrl('s/model.bin', 60);
    const short = await store.signedUrl('s/model.bin', 1);
    const read = await fetch(url);
    assert.equal(read.status, 200);
    assert.equal(await read.text(), 'weights');
    const write = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'overwritten' });
    assert.equal(write.status, 403, 'read-only');
    const remove = await fetch(url, { method: 'DELETE' });
    assert.equal(remove.status, 403, 'read-only');
    assert.equal(await text(await store.get('s/model.bin')), 'weights');
    await sleep(2200);
    assert.equal((await fetch(short)).status, 403, 'expired');
  });

  it('has no signedUrl without an account key (a SAS connection string cannot sign)', async () => {
    if (azurite instanceof Error) throw azurite;
    const sas = `BlobEndpoint=${azurite.endpoint};SharedAccessSignature=sv=2024-08-04&ss=b&srt=sco&sp=rl&se=2099-01-01T00:00:00Z&sig=x`;
    assert.equal(new AzureBlobStore({ connectionString: sas, container: 'unused' }).signedUrl, undefined);
  });

  it('works with a SAS scoped to one existing container, which cannot create containers', async () => {
    if (azurite instanceof Error) throw azurite;
    const container = `t-${randomUUID()}`;
    const { BlobServiceClient, ContainerSASPermissions } = await import('@azure/storage-blob');
    const client = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
    await client.create();
    const sasUrl = await client.generateSasUrl({ permissions: ContainerSASPermissions.parse('racwdl'), expiresOn: new Date(Date.now() + 3_600_000) });
    const store = new AzureBlobStore({ connectionString: `BlobEndpoint=${azurite.endpoint};SharedAccessSignature=${new URL(sasUrl).search.slice(1)}`, container });
    await store.check();
    await store.put('scoped/blob', Readable.from(['least privilege']));
    assert.equal(await text(await store.get('scoped/blob')), 'least privilege');
    const other = new AzureBlobStore({ connectionString: `BlobEndpoint=${azurite.endpoint};SharedAccessSignature=${new URL(sasUrl).search.slice(1)}`, container: `t-${randomUUID()}` });
    await assert.rejects(other.check(), /cannot open container .*: access denied/, 'a container it does not cover is refused with the reason');
  });

  it('creates its container on first use (a read too), and uses one that exists', async () => {
    if (azurite instanceof Error) throw azurite;
    const container = `t-${randomUUID()}`;
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const client = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
    const store = freshStore({ container });
    assert.equal(await client.exists(), false);
    assert.equal(await store.stat('first/call'), undefined);
    assert.equal(await client.exists(), true);
    await Promise.all([1, 2, 3].map((i) => store.put(`k/${i}`, Readable.from([String(i)]))));
    assert.equal(await text(await freshStore({ container }).get('k/2')), '2', 'a second store finds the blobs');
  });

  it('names the container and says what to check when the account key is wrong', async () => {
    if (azurite instanceof Error) throw azurite;
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    const store = freshStore({ connectionString: azurite.connectionStringWithKey(wrongKey) });
    const expected = /azure blob store: cannot open container http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/t-[0-9a-f-]+: access denied \(\w+\): check the account name and key/;
    await assert.rejects(store.put('k', Readable.from(['x'])), expected);
    // The failure is not remembered: the next call tries again (and fails the same way here).
    await assert.rejects(store.stat('k'), expected);
  });
});
