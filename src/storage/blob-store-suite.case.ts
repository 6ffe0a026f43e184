import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { BlobNotFoundError, type BlobStore } from './blob-store.js';

/** The behaviour every BlobStore adapter must have; each adapter's test calls this. */
export function runBlobStoreSuite(name: string, makeStore: () => Promise<BlobStore>, opts: { skip?: string } = {}): void {
  describe(`BlobStore conformance: ${name}`, { skip: opts.skip }, () => {
    it('puts, stats, gets, lists and deletes a blob', async () => {
      const store = await makeStore();
      const { bytes } = await store.put('a/b/c.txt', Readable.from(['hello ', 'world']));
      assert.equal(bytes, 11);
      assert.deepEqual(await store.stat('a/b/c.txt'), { bytes: 11 });
      assert.equal(await text(await store.get('a/b/c.txt')), 'hello world');
      const keys: string[] = [];
      for await (const k of store.list('a')) keys.push(k);
      assert.deepEqual(keys, ['a/b/c.txt']);
      await store.delete('a/b/c.txt');
      assert.equal(await store.stat('a/b/c.txt'), undefined);
    });

    it('reports a missing blob with BlobNotFoundError and deletes missing blobs quietly', async () => {
      const store = await makeStore();
      await assert.rejects(store.get('missing/blob'), BlobNotFoundError);
      await store.delete('missing/blob');
    });

    it('leaves no blob behind when the body fails midway', async () => {
      const store = await makeStore();
      const failing = new Readable({
        read() {
          this.push('partial');
          this.destroy(new Error('client went away'));
        },
      });
      await assert.rejects(store.put('x/broken', failing));
      assert.equal(await store.stat('x/broken'), undefined);
    });

    it('refuses keys that could escape', async () => {
      const store = await makeStore();
      for (const key of ['../etc/passwd', '/abs', 'a//b', 'a/./b', '']) {
        await assert.rejects(store.put(key, Readable.from(['x'])), /invalid blob key/);
      }
    });

    it('streams a blob larger than memory buffers', async () => {
      const store = await makeStore();
      const chunk = Buffer.alloc(1 << 20, 97);
      const { bytes } = await store.put('big/blob', Readable.from((function* () { for (let i = 0; i < 32; i++) yield chunk; })()));
      assert.equal(bytes, 32 << 20);
      let seen = 0;
      for await (const c of await store.get('big/blob')) seen += (c as Buffer).length;
      assert.equal(seen, 32 << 20);
    });
  });
}
