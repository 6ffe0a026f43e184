import { Readable } from 'node:stream';
import type { BlobStore } from '../../storage/blob-store.js';
import { BlobNotFoundError, holdBodyErrors } from '../../storage/blob-store.js';
import type { WorkerApi } from './worker-api.js';

/**
 * The blobs an outbound-only worker reads and writes, through the worker API: bundles of its
 * competitions and the zip, log and outputs of the runs it holds, nothing else (the server checks
 * every key). Reads follow the server's redirect to a signed URL of the store where it has them.
 */
export class RemoteBlobStore implements BlobStore {
  readonly name = 'remote';

  constructor(private readonly api: WorkerApi) {}

  async put(key: string, body: Readable): Promise<{ bytes: number }> {
    holdBodyErrors(body);
    return this.api.json<{ bytes: number }>('/blobs', { method: 'PUT', query: { key }, body });
  }

  async get(key: string): Promise<Readable> {
    const res = await this.api.call('/blobs', { query: { key }, accept: [404] });
    if (res.status === 404 || !res.body) throw new BlobNotFoundError(key);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  }

  async stat(key: string): Promise<{ bytes: number } | undefined> {
    const res = await this.api.call('/blob-stat', { query: { key }, accept: [404] });
    return res.status === 404 ? undefined : ((await res.json()) as { bytes: number });
  }

  async delete(key: string): Promise<void> {
    await this.api.call('/blobs', { method: 'DELETE', query: { key } });
  }

  async *list(prefix: string): AsyncIterable<string> {
    yield* (await this.api.json<{ keys: string[] }>('/blob-list', { query: { prefix } })).keys;
  }
}
