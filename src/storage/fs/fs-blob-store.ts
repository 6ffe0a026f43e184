import { randomUUID } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFoundError, type BlobStore, type ByteRange, holdBodyErrors } from '../blob-store.js';
import { assertValidKey, assertValidPrefix } from '../blob-key.js';
import { writeBatched } from './batched-write.js';

/** Holds unfinished puts; "~" cannot appear in a key, so no blob lives here and `list` skips it. */
const TEMP_DIR = '.tmp~';

/** Blobs as files under one root folder. Writes go to a temp file first, then rename into place. */
export class FsBlobStore implements BlobStore {
  readonly name = 'fs';

  constructor(private readonly root: string) {}

  private file(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Readable): Promise<{ bytes: number }> {
    holdBodyErrors(body);
    const temp = path.join(this.root, TEMP_DIR, randomUUID());
    let bytes = 0;
    try {
      const target = this.file(key);
      await mkdir(path.dirname(target), { recursive: true });
      await mkdir(path.dirname(temp), { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        bytes = await writeBatched(handle, 0, body);
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (err) {
      // A body never read (a refused key, a folder that cannot be made) still holds a file or socket.
      body.destroy();
      await rm(temp, { force: true });
      throw err;
    }
    return { bytes };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.file(key);
    if (range && range.end <= range.start) return emptyIfExists(this, key);
    const stream = createReadStream(file, range ? { start: range.start, end: range.end - 1 } : {});
    // Surface a missing blob as the typed error before the caller pipes anything.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' || err.code === 'EISDIR' ? new BlobNotFoundError(key) : err),
      );
    });
    return stream;
  }

  /** Moves the first part into place and appends the others: the first part's bytes are not copied. */
  async concat(key: string, parts: readonly string[]): Promise<{ bytes: number }> {
    const target = this.file(key);
    const files = parts.map((p) => this.file(p));
    const temp = path.join(this.root, TEMP_DIR, randomUUID());
    await mkdir(path.dirname(temp), { recursive: true });
    await mkdir(path.dirname(target), { recursive: true });
    let firstBytes: number | undefined;
    try {
      if (files[0]) {
        firstBytes = (await stat(files[0])).size;
        await rename(files[0], temp);
      } else await writeFile(temp, '', { flag: 'wx' });
      for (const file of files.slice(1)) await pipeline(createReadStream(file), createWriteStream(temp, { flags: 'a' }));
      const { size } = await stat(temp);
      await rename(temp, target);
      await Promise.all(files.slice(1).map((f) => rm(f, { force: true })));
      return { bytes: size };
    } catch (err) {
      // Put the first part back as it was, so that the parts stay whole for another try.
      if (firstBytes !== undefined && files[0]) await truncate(temp, firstBytes).then(() => rename(temp, files[0]!)).catch(() => {});
      await rm(temp, { force: true });
      throw err;
    }
  }

  async writeAt(key: string, offset: number, body: Readable): Promise<{ bytes: number }> {
    holdBodyErrors(body);
    const file = this.file(key);
    let bytes = 0;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      // Created if missing, never emptied: the bytes before `offset` are earlier chunks.
      const handle = await open(file, constants.O_RDWR | constants.O_CREAT);
      try {
        bytes = await writeBatched(handle, offset, body);
        await handle.truncate(offset + bytes);
      } finally {
        await handle.close();
      }
    } catch (err) {
      body.destroy();
      await truncate(file, offset).catch(() => {});
      throw err;
    }
    return { bytes };
  }

  async stat(key: string): Promise<{ bytes: number } | undefined> {
    try {
      const s = await stat(this.file(key));
      return s.isFile() ? { bytes: s.size } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertValidPrefix(prefix);
    const dir = path.join(this.root, ...prefix.split('/').filter(Boolean));
    let entries;
    try {
      entries = await readdir(dir, { recursive: true, withFileTypes: true });
    } catch (err) {
      // Nothing there, or a blob: a prefix names a folder.
      if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return;
      throw err;
    }
    for (const e of entries) {
      if (!e.isFile()) continue;
      // `parentPath` arrived in Node 20.12; `path` is its older name.
      const parent = (e as unknown as { parentPath?: string; path: string }).parentPath ?? e.path;
      const key = path.relative(this.root, path.join(parent, e.name)).split(path.sep).join('/');
      if (!key.startsWith(`${TEMP_DIR}/`)) yield key;
    }
  }
}

async function emptyIfExists(store: BlobStore, key: string): Promise<Readable> {
  if (!(await store.stat(key))) throw new BlobNotFoundError(key);
  return Readable.from([]);
}
