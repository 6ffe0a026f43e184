import { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { BlobNotFoundError, type BlobStore, type ByteRange, holdBodyErrors } from '../blob-store.js';
import { assertValidKey, assertValidPrefix } from '../blob-key.js';
import { readUpTo } from '../read-up-to.js';

/** Where an {@link AzureBlobStore} keeps its blobs. */
export interface AzureBlobStoreOptions {
  /**
   * An Azure Storage connection string: `AccountName=…;AccountKey=…` (or `UseDevelopmentStorage=true`)
   * signs requests with the account key; `…;SharedAccessSignature=…` uses a SAS token instead.
   */
  connectionString: string;
  /** Container that holds every blob; created on first use when it does not exist. */
  container: string;
}

type Sdk = typeof import('@azure/storage-blob');

/** The SDK module and the container, both obtained on first use. */
interface Connection {
  sdk: Sdk;
  container: ContainerClient;
}

/**
 * Streamed through 4 MiB blocks, 4 in flight: a put holds at most ~20 MiB, however large the blob
 * (the SDK's defaults, 8 MiB × 5, cost twice that for no gain on a worker's uplink).
 */
const BLOCK_BYTES = 4 << 20;
const BLOCKS_IN_FLIGHT = 4;

/**
 * Blobs in one Azure Blob Storage container, a key being the blob's name. Block blobs stay invisible
 * until their block list is committed, which happens only after the whole body was read: a body that
 * fails midway leaves no blob (and replaces no older one).
 * @remarks The SDK is imported on first use, so processes on the fs store never load it.
 * Uncommitted blocks of a failed put are left for Azure to discard (after a week).
 */
export class AzureBlobStore implements BlobStore {
  readonly name = 'azure';
  /**
   * A read-only SAS URL for one blob, valid `ttlSeconds` from now.
   * @remarks Present only when the connection string carries the account key: a SAS token cannot
   * sign another SAS, and a user delegation key needs an Entra ID login, which a connection string
   * has not. Without it, callers see no `signedUrl` and stream blobs through Holdout instead.
   */
  readonly signedUrl?: (key: string, ttlSeconds: number, options?: { downloadName?: string }) => Promise<string>;
  private connecting: Promise<Connection> | undefined;

  constructor(private readonly options: AzureBlobStoreOptions) {
    // The SDK signs only with a shared key credential, which it builds from exactly these forms.
    const { connectionString } = options;
    if (connectionString.startsWith('UseDevelopmentStorage=true') || connectionString.includes('AccountKey=')) {
      this.signedUrl = (key, ttlSeconds, options) => this.sign(key, ttlSeconds, options?.downloadName);
    }
  }

  /** Opens (and if need be creates) the container: a wrong key or endpoint fails here. */
  async check(): Promise<void> {
    await this.connect();
  }

  async put(key: string, body: Readable): Promise<{ bytes: number }> {
    holdBodyErrors(body);
    let bytes = 0;
    let rest: Readable | undefined;
    try {
      assertValidKey(key);
      const { container } = await this.connect();
      const blob = container.getBlockBlobClient(key);
      // Most blobs (logs, predictions, small zips) fit one block: one request instead of stage + commit.
      const head = await readUpTo(body, BLOCK_BYTES);
      if (head.ended) {
        const whole = Buffer.concat(head.chunks);
        await blob.upload(whole, whole.length);
        return { bytes: whole.length };
      }
      const counted = async function* () {
        for (const chunk of head.chunks) yield ((bytes += chunk.length), chunk);
        for (let next = await head.more.next(); !next.done; next = await head.more.next()) yield ((bytes += next.value.length), next.value);
      };
      rest = Readable.from(counted());
      await blob.uploadStream(rest, BLOCK_BYTES, BLOCKS_IN_FLIGHT);
    } catch (err) {
      // The SDK leaves the body open when a request fails: release its file or socket now.
      rest?.destroy();
      body.destroy();
      throw err;
    }
    return { bytes };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    const { sdk, container } = await this.connect();
    try {
      const blob = container.getBlobClient(key);
      if (range && range.end <= range.start) return await blob.getProperties().then(() => Readable.from([]));
      const { readableStreamBody } = await (range ? blob.download(range.start, range.end - range.start) : blob.download());
      // In Node the SDK returns a Readable that resumes a broken download where it stopped.
      if (!(readableStreamBody instanceof Readable)) throw new Error(`azure blob store: no stream body for ${key}`);
      return readableStreamBody;
    } catch (err) {
      throw isNotFound(sdk, err) ? new BlobNotFoundError(key) : err;
    }
  }

  async stat(key: string): Promise<{ bytes: number } | undefined> {
    assertValidKey(key);
    const { sdk, container } = await this.connect();
    try {
      const { contentLength } = await container.getBlobClient(key).getProperties();
      return { bytes: contentLength ?? 0 };
    } catch (err) {
      if (isNotFound(sdk, err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    const { container } = await this.connect();
    await container.getBlobClient(key).deleteIfExists();
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertValidPrefix(prefix);
    const { container } = await this.connect();
    // A prefix names a folder, as in the fs store: "a" lists "a/b" but not "ab".
    const folder = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    for await (const blob of container.listBlobsFlat({ prefix: folder === '' ? '' : `${folder}/` })) yield blob.name;
  }

  private async sign(key: string, ttlSeconds: number, downloadName?: string): Promise<string> {
    assertValidKey(key);
    const { sdk, container } = await this.connect();
    return container.getBlobClient(key).generateSasUrl({
      permissions: sdk.BlobSASPermissions.parse('r'),
      // Signed into the URL: Azure answers with this header, so the browser saves under the file's own name.
      ...(downloadName ? { contentDisposition: `attachment; filename="${downloadName.replace(/["\\]/g, '_')}"` } : {}),
      // No start time: a start a little ahead of Azure's clock would refuse the URL at first.
      expiresOn: new Date(Date.now() + ttlSeconds * 1000),
    });
  }

  /** Loads the SDK and creates the container, once; a failure is not kept, so the next call retries. */
  private connect(): Promise<Connection> {
    this.connecting ??= open(this.options).catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }
}

async function open({ connectionString, container: name }: AzureBlobStoreOptions): Promise<Connection> {
  const sdk = await import('@azure/storage-blob');
  let url = '(unparsable connection string)';
  try {
    const container = sdk.BlobServiceClient.fromConnectionString(connectionString).getContainerClient(name);
    url = container.url.split('?')[0] ?? ''; // a SAS token in the query is a secret: never in a message
    await container.createIfNotExists().catch(async (err: unknown) => {
      // A SAS scoped to the container (least privilege) may not create containers: one that
      // exists and can be listed will do.
      if (!(err instanceof sdk.RestError && err.statusCode === 403)) throw err;
      await container.listBlobsFlat().byPage({ maxPageSize: 1 }).next().catch(() => Promise.reject(err));
    });
    return { sdk, container };
  } catch (err) {
    // The SDK's own messages name neither the container nor the account, and a wrong key reads as
    // "Server failed to authenticate the request": say what was tried and what to check.
    const why = err instanceof sdk.RestError && err.statusCode === 403
      ? `access denied (${err.code ?? 403}): check the account name and key (or the SAS token's permissions) in the connection string`
      : err instanceof Error ? err.message : String(err);
    throw new Error(`azure blob store: cannot open container ${url}: ${why}`, { cause: err });
  }
}

function isNotFound(sdk: Sdk, err: unknown): boolean {
  return err instanceof sdk.RestError && err.statusCode === 404;
}
