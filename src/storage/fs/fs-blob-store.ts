import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertRange, BlobNotFoundError, type BlobStore, holdBodyErrors } from '../blob-store.js';
import { assertValidKey, assertValidPrefix } from '../blob-key.js';

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
      body.on('data', (chunk: Buffer) => (bytes += chunk.length));
      await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, target);
    } catch (err) {
      // A body never read (a refused key, a folder that cannot be made) still holds a file or socket.
      body.destroy();
      await rm(temp, { force: true });
      throw err;
    }
    return { bytes };
  }

  async get(key: string): Promise<Readable> {
    return this.open(key, createReadStream(this.file(key)));
  }

  async getRange(key: string, start: number, end: number): Promise<Readable> {
    const file = this.file(key);
    const size = (await this.stat(key))?.bytes;
    if (size === undefined) throw new BlobNotFoundError(key);
    assertRange(key, start, end, size);
    return this.open(key, createReadStream(file, { start, end }));
  }

  private async open(key: string, stream: Readable): Promise<Readable> {
    // Surface a missing blob as the typed error before the caller pipes anything.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' || err.code === 'EISDIR' ? new BlobNotFoundError(key) : err),
      );
    });
    return stream;
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
