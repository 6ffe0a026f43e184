import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, statfs, writeFile } from 'node:fs/promises';
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

/** Bytes of `file` in the page cache (util-linux's fincore). */
const cachedBytes = (file: string) => Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' }).trim());
const TMPFS_MAGIC = 0x01021994;

describe('writeBatched', () => {
  for (const direct of [true, false]) {
    it(`writes many small chunks and odd sizes over several batches, from an odd offset, leaving the bytes before it (${direct ? 'direct I/O' : 'page cache'})`, async () => {
      const file = path.join(dir, `offset-${direct}`);
      await writeFile(file, 'HEAD');
      const total = (9 << 20) + 12345; // past two batches, ending mid-block
      const handle = await open(file, 'r+');
      const bytes = await writeBatched(handle, 4, Readable.from(socketChunks(total)), { direct });
      await handle.close();
      assert.equal(bytes, total);
      const written = await readFile(file);
      assert.equal(written.length, 4 + total);
      assert.equal(written.subarray(0, 4).toString(), 'HEAD');
      assert.equal(sha(written.subarray(4)), sha(Buffer.concat([...socketChunks(total)])));
    });
  }

  it('with direct I/O a large body bypasses the page cache, but for its first and last partial blocks', async (t) => {
    if ((await statfs(dir)).type === TMPFS_MAGIC) return t.skip('the temp folder is a tmpfs: every page is in memory');
    const sizes: number[] = [];
    for (const direct of [true, false]) {
      const file = path.join(dir, `cache-${direct}`);
      const handle = await open(file, 'w');
      await writeBatched(handle, 0, Readable.from(socketChunks((16 << 20) + 100)), { direct });
      await handle.close();
      sizes.push(cachedBytes(file));
    }
    assert.ok(sizes[0]! <= 8192, `${sizes[0]} bytes cached after direct writes`);
    assert.ok(sizes[1]! >= 16 << 20, `${sizes[1]} bytes cached after writes through the page cache`);
  });

  it('an empty body writes nothing', async () => {
    const file = path.join(dir, 'empty');
    const handle = await open(file, 'w');
    assert.equal(await writeBatched(handle, 0, Readable.from([])), 0);
    await handle.close();
  });

  it('a body that fails part-way rejects with its error once the write in flight has ended', async () => {
    const file = path.join(dir, 'failing');
    const handle = await open(file, 'w');
    const body = Readable.from((function* () {
      yield* socketChunks(10 << 20);
      throw new Error('client went away');
    })());
    await assert.rejects(writeBatched(handle, 0, body), /client went away/);
    await handle.close(); // would throw had a write still used it
  });

  /** 64 MiB of chunks, counting how many were read. */
  const countedBody = () => {
    const read = { chunks: 0 };
    const body = Readable.from((function* () {
      for (const c of socketChunks(64 << 20)) {
        read.chunks++;
        yield c;
      }
    })());
    return { body, read };
  };

  it('a file that refuses direct I/O and every byte (/dev/full) rejects with ENOSPC, and the body is not read to its end', async () => {
    const handle = await open('/dev/full', 'w');
    const { body, read } = countedBody();
    await assert.rejects(writeBatched(handle, 0, body), { code: 'ENOSPC' });
    await handle.close();
    assert.ok(read.chunks < 1024, `read ${read.chunks} of 1024 chunks after the first write failed`);
  });

  it('a disk that fills up in the middle of a direct write (a 1 MiB tmpfs) rejects with ENOSPC', async (t) => {
    const small = path.join(dir, 'small');
    await mkdir(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'holdout-test', small]);
    try {
      const file = path.join(small, 'full');
      // Before Linux 6.6 a tmpfs refuses O_DIRECT: this would test the page cache, as /dev/full does.
      const probe = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT).catch(() => undefined);
      if (!probe) return t.skip("this kernel's tmpfs refuses O_DIRECT");
      await probe.close();
      const handle = await open(file, 'w');
      const { body, read } = countedBody();
      await assert.rejects(writeBatched(handle, 0, body), { code: 'ENOSPC' });
      await handle.close();
      assert.ok(read.chunks < 1024, `read ${read.chunks} of 1024 chunks after the disk filled up`);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});
