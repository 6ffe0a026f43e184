import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { writeBatched } from './batched-write.js';

const dir = await mkdtemp(path.join(tmpdir(), 'holdout-batched-'));
after(() => rm(dir, { recursive: true, force: true }));

/** 64 KiB chunks, as a socket gives them, of bytes that differ by position. */
function* socketChunks(total: number): Generator<Buffer> {
  for (let at = 0; at < total; at += 65536) {
    const chunk = Buffer.alloc(Math.min(65536, total - at));
    for (let i = 0; i < chunk.length; i++) chunk[i] = (at + i) % 251;
    yield chunk;
  }
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('writeBatched', () => {
  it('writes many small chunks and odd sizes over several batches, from an offset, leaving the bytes before it', async () => {
    const file = path.join(dir, 'offset');
    await writeFile(file, 'HEAD');
    const total = (9 << 20) + 12345; // past two batches, ending mid-batch
    const handle = await open(file, 'r+');
    const bytes = await writeBatched(handle, 4, Readable.from(socketChunks(total)));
    await handle.close();
    assert.equal(bytes, total);
    const written = await readFile(file);
    assert.equal(written.subarray(0, 4).toString(), 'HEAD');
    assert.equal(sha(written.subarray(4)), sha(Buffer.concat([...socketChunks(total)])));
  });

  it('an empty body writes nothing', async () => {
    const handle = await open(path.join(dir, 'empty'), 'w');
    assert.equal(await writeBatched(handle, 0, Readable.from([])), 0);
    await handle.close();
  });

  it('a body that fails part-way rejects with its error once the write in flight has ended', async () => {
    const handle = await open(path.join(dir, 'failing'), 'w');
    const body = Readable.from((function* () {
      yield* socketChunks(6 << 20);
      throw new Error('client went away');
    })());
    await assert.rejects(writeBatched(handle, 0, body), /client went away/);
    await handle.close(); // would throw had a write still used it
  });

  it('a file that refuses writes rejects with its error, and the body is not read to its end', async () => {
    const file = path.join(dir, 'read-only');
    await writeFile(file, '');
    const handle = await open(file, 'r');
    let chunksRead = 0;
    const body = Readable.from((function* () {
      for (const c of socketChunks(64 << 20)) {
        chunksRead++;
        yield c;
      }
    })());
    await assert.rejects(writeBatched(handle, 0, body), { code: 'EBADF' });
    await handle.close();
    assert.ok(chunksRead < 1024, `read ${chunksRead} of 1024 chunks after the first write failed`);
  });
});
