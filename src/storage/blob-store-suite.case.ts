import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { BlobNotFoundError, type BlobStore } from './blob-store.js';

async function listed(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of store.list(prefix)) keys.push(k);
  return keys.sort();
}

/** More than an adapter buffers before it sends a part (Azure: one 4 MiB block). */
const SEVERAL_MIB = 5 << 20;

/**
 * A body that fails after several MiB, as when a client goes away mid-upload; it waits a little
 * first, so that an adapter has sent what it buffered.
 */
function failingBody(): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) setTimeout(() => this.destroy(new Error('client went away')), 200);
      else this.push(Buffer.alloc(SEVERAL_MIB, 1));
      sent = true;
    },
  });
}

/**
 * The behaviour every BlobStore adapter must have; each adapter's test calls this.
 * @param makeStore - a store of its own per call (a fresh folder, a fresh container): tests list
 * every key and expect only their own. `concat: false` for an adapter without the optional concat.
 */
export function runBlobStoreSuite(name: string, makeStore: () => Promise<BlobStore>, opts: { skip?: string; concat?: boolean; racyServer?: string } = {}): void {
  describe(`BlobStore conformance: ${name}`, { skip: opts.skip }, () => {
    it('puts, stats, gets, lists and deletes a blob', async () => {
      const store = await makeStore();
      const { bytes } = await store.put('a/b/c.txt', Readable.from(['hello ', 'world']));
      assert.equal(bytes, 11);
      assert.deepEqual(await store.stat('a/b/c.txt'), { bytes: 11 });
      assert.equal(await text(await store.get('a/b/c.txt')), 'hello world');
      assert.deepEqual(await listed(store, 'a'), ['a/b/c.txt']);
      await store.delete('a/b/c.txt');
      assert.equal(await store.stat('a/b/c.txt'), undefined);
      await assert.rejects(store.get('a/b/c.txt'), BlobNotFoundError);
    });

    it('reports a missing blob with BlobNotFoundError and deletes missing blobs quietly', async () => {
      const store = await makeStore();
      await assert.rejects(store.get('missing/blob'), BlobNotFoundError);
      assert.equal(await store.stat('missing/blob'), undefined);
      await store.delete('missing/blob');
    });

    it('stores an empty blob (bundle markers are empty)', async () => {
      const store = await makeStore();
      assert.deepEqual(await store.put('m/.complete', Readable.from([])), { bytes: 0 });
      assert.deepEqual(await store.stat('m/.complete'), { bytes: 0 });
      assert.equal(await text(await store.get('m/.complete')), '');
    });

    it('lists a prefix as a folder: everything below it, nothing beside it', async () => {
      const store = await makeStore();
      for (const key of ['a/b/c.txt', 'a/d', 'ab/x', 'b']) await store.put(key, Readable.from(['x']));
      assert.deepEqual(await listed(store, 'a'), ['a/b/c.txt', 'a/d']);
      assert.deepEqual(await listed(store, 'a/'), ['a/b/c.txt', 'a/d']);
      assert.deepEqual(await listed(store, 'a/b'), ['a/b/c.txt']);
      assert.deepEqual(await listed(store, ''), ['a/b/c.txt', 'a/d', 'ab/x', 'b']);
      assert.deepEqual(await listed(store, 'a/d'), [], 'a blob is not a folder');
      assert.deepEqual(await listed(store, 'nothing/here'), []);
    });

    it('keeps every character a key may have', async () => {
      const store = await makeStore();
      // The longest key, 1024 characters, in parts a file system takes (at most 255 bytes a name).
      const longest = `long/${Array.from({ length: 10 }, () => 'k'.repeat(101)).join('/')}`;
      const keys = ['Mixed-Case_09/dots.in.name', 'trailing/dot.', 'three/.../dots', longest];
      for (const key of keys) await store.put(key, Readable.from([key]));
      assert.deepEqual(await listed(store, ''), [...keys].sort());
      for (const key of keys) assert.equal(await text(await store.get(key)), key);
    });

    it('leaves no blob behind when the body fails midway', async () => {
      const store = await makeStore();
      await assert.rejects(store.put('x/broken', failingBody()));
      assert.equal(await store.stat('x/broken'), undefined);
      assert.deepEqual(await listed(store, ''), []);
    });

    it('rejects a body that fails before it is read (a file that cannot be opened) and stores nothing', async () => {
      const store = await makeStore();
      const missing = createReadStream(path.join(tmpdir(), `holdout-missing-${randomUUID()}`));
      // Without a listener of its own, the store would let this ENOENT end the process.
      await assert.rejects(store.put('x/unopened', missing), { code: 'ENOENT' });
      assert.equal(await store.stat('x/unopened'), undefined);
      assert.deepEqual(await listed(store, ''), []);
    });

    it('replaces a blob whole, and keeps the old one when the new body fails', async () => {
      const store = await makeStore();
      await store.put('r/blob', Readable.from(['old']));
      await assert.rejects(store.put('r/blob', failingBody()));
      assert.equal(await text(await store.get('r/blob')), 'old');
      await store.put('r/blob', Readable.from(['new body']));
      assert.equal(await text(await store.get('r/blob')), 'new body');
      assert.deepEqual(await store.stat('r/blob'), { bytes: 8 });
    });

    it('shows nothing of a put until its body has ended', async () => {
      const store = await makeStore();
      const body = new PassThrough();
      body.write(Buffer.alloc(SEVERAL_MIB, 1));
      const put = store.put('slow/blob', body);
      // Once the store has read all that was written (and had a moment to send it), nothing shows yet.
      for (let i = 0; body.readableLength + body.writableLength > 0; i++) {
        assert.ok(i < 400, 'the store never read the body');
        await sleep(25);
      }
      await sleep(100);
      assert.equal(await store.stat('slow/blob'), undefined);
      await assert.rejects(store.get('slow/blob'), BlobNotFoundError);
      assert.deepEqual(await listed(store, ''), []);
      body.end('the end');
      assert.deepEqual(await put, { bytes: SEVERAL_MIB + 7 });
      assert.equal((await text(await store.get('slow/blob'))).slice(-8), '\x01the end');
    });

    it('ends concurrent puts of one key with the whole body of one that succeeded', { skip: opts.racyServer ?? false }, async () => {
      const store = await makeStore();
      const bodies = ['a'.repeat(100_000), 'b'.repeat(200_000), 'c'.repeat(300_000)];
      const results = await Promise.allSettled(bodies.map((b) => store.put('same/key', Readable.from([b]))));
      const succeeded = bodies.filter((_, i) => results[i]?.status === 'fulfilled');
      assert.ok(succeeded.length > 0, 'at least one put succeeds');
      assert.ok(succeeded.includes(await text(await store.get('same/key'))));
    });

    it('refuses keys and prefixes that could escape, that have characters keys may not have, or that are too long', async () => {
      const store = await makeStore();
      for (const key of ['../etc/passwd', '/abs', 'a//b', 'a/./b', '', 'with space', 'ünïcode', 'back\\slash', 'trailing/', `part/${'p'.repeat(256)}`, 'k'.repeat(1025)]) {
        await assert.rejects(store.put(key, Readable.from(['x'])), /invalid blob key/);
        await assert.rejects(store.get(key), /invalid blob key/);
      }
      for (const prefix of ['..', '../', '/', 'a/../..', 'a//']) {
        await assert.rejects(listed(store, prefix), /invalid blob prefix/);
      }
    });

    it('reads a byte range, cut at the end of the blob', async () => {
      const store = await makeStore();
      await store.put('r/digits', Readable.from(['0123456789']));
      assert.equal(await text(await store.get('r/digits', { start: 2, end: 5 })), '234');
      assert.equal(await text(await store.get('r/digits', { start: 7, end: 100 })), '789');
      assert.equal(await text(await store.get('r/digits', { start: 4, end: 4 })), '');
      await assert.rejects(store.get('r/missing', { start: 0, end: 1 }), BlobNotFoundError);
      await assert.rejects(store.get('r/missing', { start: 0, end: 0 }), BlobNotFoundError);
    });

    it('concatenates parts into one blob and removes the parts, where it can', { skip: opts.concat === false ? 'this adapter has no concat' : false }, async () => {
      const store = await makeStore();
      assert.ok(store.concat);
      for (const [i, body] of ['ab', '', 'cde'].entries()) await store.put(`parts/${i}`, Readable.from([body]));
      assert.deepEqual(await store.concat('whole/blob', ['parts/0', 'parts/1', 'parts/2']), { bytes: 5 });
      assert.equal(await text(await store.get('whole/blob')), 'abcde');
      assert.deepEqual(await listed(store, ''), ['whole/blob']);
      await assert.rejects(store.concat('other/blob', ['whole/blob', 'parts/missing']));
      assert.equal(await text(await store.get('whole/blob')), 'abcde', 'a failed concat leaves its parts as they were');
      assert.equal(await store.stat('other/blob'), undefined);
    });

    it('writes in place from an offset, cutting what lay beyond, and back to the offset when the body fails, where it can', async (t) => {
      const store = await makeStore();
      if (!store.writeAt) return t.skip(`${store.name} writes nothing in place`);
      assert.deepEqual(await store.writeAt('staging/file', 0, Readable.from(['abcdef'])), { bytes: 6 });
      assert.deepEqual(await store.writeAt('staging/file', 3, Readable.from(['XY'])), { bytes: 2 });
      assert.equal(await text(await store.get('staging/file')), 'abcXY');
      const failing = new Readable({ read() {} });
      failing.push('zzzz');
      setTimeout(() => failing.destroy(new Error('the client went away')), 20);
      await assert.rejects(store.writeAt('staging/file', 2, failing));
      assert.equal(await text(await store.get('staging/file')), 'ab', 'cut back to where the failed write began');
    });

    it('streams a multi-MiB blob intact, in bounded chunks', async () => {
      const store = await makeStore();
      // A different byte pattern per MiB, so a lost, repeated or reordered chunk changes the digest.
      const chunks = Array.from({ length: 32 }, (_, i) => Buffer.alloc(1 << 20, i * 7 + 1));
      const sent = createHash('sha256');
      for (const c of chunks) sent.update(c);
      const { bytes } = await store.put('big/blob', Readable.from(chunks));
      assert.equal(bytes, 32 << 20);
      assert.deepEqual(await store.stat('big/blob'), { bytes: 32 << 20 });
      const got = createHash('sha256');
      let largest = 0;
      for await (const c of await store.get('big/blob')) {
        const chunk = c as Buffer;
        got.update(chunk);
        largest = Math.max(largest, chunk.length);
      }
      assert.equal(got.digest('hex'), sent.digest('hex'));
      assert.ok(largest <= 8 << 20, `read in chunks, not whole (largest chunk ${largest} bytes)`);
    });
  });
}
