import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { BlobNotFoundError, type BlobStore, type ByteRange, holdBodyErrors } from '../blob-store.js';
import { assertValidKey, assertValidPrefix } from '../blob-key.js';
import { readUpTo } from '../read-up-to.js';

/** Where an {@link S3BlobStore} keeps its blobs. */
export interface S3BlobStoreOptions {
  /** Bucket that holds every blob; created on first use when it does not exist and may be created. */
  bucket: string;
  /** Endpoint of an S3-compatible service (MinIO, Ceph, R2…); unset means AWS itself. */
  endpoint?: string;
  /** @defaultValue 'us-east-1' (what most S3-compatible services accept) */
  region?: string;
  /** Address buckets as `endpoint/bucket` instead of `bucket.endpoint` (most self-hosted services need it). */
  forcePathStyle?: boolean;
  /** Static credentials; unset means the SDK's default chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

type Sdk = typeof import('@aws-sdk/client-s3');

interface Connection {
  sdk: Sdk;
  client: S3Client;
}

/**
 * Bodies up to one part go in one PutObject; larger ones as a multipart upload of 8 MiB parts, 4 in
 * flight: a put holds at most ~40 MiB, however large the blob. S3 allows 10 000 parts, so one blob
 * may reach 80 GB.
 */
const PART_BYTES = 8 << 20;
const PARTS_IN_FLIGHT = 4;

/**
 * Blobs in one bucket of S3 or an S3-compatible service, a key being the object's key. A PutObject is
 * atomic, and a multipart upload shows nothing until it is completed after the whole body was read:
 * a body that fails midway leaves no object (and replaces no older one).
 * @remarks The SDK is imported on first use. The parts of a failed multipart upload are aborted;
 * where the service cannot abort, a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them.
 */
export class S3BlobStore implements BlobStore {
  readonly name = 's3';
  private connecting: Promise<Connection> | undefined;

  constructor(private readonly options: S3BlobStoreOptions) {}

  /** Reaches the bucket (creating it when missing): a wrong key or endpoint fails here. */
  async check(): Promise<void> {
    await this.connect();
  }

  async put(key: string, body: Readable): Promise<{ bytes: number }> {
    holdBodyErrors(body);
    try {
      assertValidKey(key);
      const { sdk, client } = await this.connect();
      const head = await readUpTo(body, PART_BYTES);
      if (head.ended) {
        const whole = Buffer.concat(head.chunks);
        await client.send(new sdk.PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: whole, ContentLength: whole.length }));
        return { bytes: whole.length };
      }
      return await this.putParts(key, head.chunks, head.more);
    } catch (err) {
      body.destroy();
      throw err;
    }
  }

  /** A multipart upload of the body in PART_BYTES parts, completed only once the body has ended. */
  private async putParts(key: string, first: Buffer[], rest: AsyncIterator<Buffer>): Promise<{ bytes: number }> {
    const { sdk, client } = await this.connect();
    const Bucket = this.options.bucket;
    const { UploadId } = await client.send(new sdk.CreateMultipartUploadCommand({ Bucket, Key: key }));
    const parts: { PartNumber: number; ETag: string | undefined }[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let bytes = 0;
    const send = (chunk: Buffer) => {
      const PartNumber = parts.length + 1;
      const part = { PartNumber, ETag: undefined as string | undefined };
      parts.push(part);
      bytes += chunk.length;
      const sent = client.send(new sdk.UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber, Body: chunk, ContentLength: chunk.length }))
        .then((r) => void (part.ETag = r.ETag), (err: unknown) => void (failure ??= err))
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    };
    try {
      let pending = first;
      let size = first.reduce((n, c) => n + c.length, 0);
      for (;;) {
        while (size >= PART_BYTES) {
          const all = Buffer.concat(pending);
          send(all.subarray(0, PART_BYTES));
          pending = [all.subarray(PART_BYTES)];
          size -= PART_BYTES;
          // Back-pressure: read no more until a slot is free, so memory stays bounded.
          while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
          if (failure) throw failure;
        }
        const next = await rest.next();
        if (next.done) break;
        pending.push(next.value);
        size += next.value.length;
      }
      if (size > 0) send(Buffer.concat(pending));
      await Promise.all(inFlight);
      if (failure) throw failure;
      await client.send(new sdk.CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
      return { bytes };
    } catch (err) {
      await Promise.allSettled(inFlight);
      // s3rver cannot abort; a real S3 removes the parts here, a lifecycle rule otherwise.
      await client.send(new sdk.AbortMultipartUploadCommand({ Bucket, Key: key, UploadId })).catch(() => {});
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    const { sdk, client } = await this.connect();
    try {
      // S3 has no empty range ("bytes=5-4" is refused): an empty read only checks that the blob is there.
      if (range && range.end <= range.start) return await this.stat(key).then((s) => (s ? Readable.from([]) : Promise.reject(new BlobNotFoundError(key))));
      const Range = range ? `bytes=${range.start}-${range.end - 1}` : undefined;
      const { Body } = await client.send(new sdk.GetObjectCommand({ Bucket: this.options.bucket, Key: key, ...(Range ? { Range } : {}) }));
      if (!(Body instanceof Readable)) throw new Error(`s3 blob store: no stream body for ${key}`);
      return Body;
    } catch (err) {
      throw isNotFound(sdk, err) ? new BlobNotFoundError(key) : err;
    }
  }

  async stat(key: string): Promise<{ bytes: number } | undefined> {
    assertValidKey(key);
    const { sdk, client } = await this.connect();
    try {
      const { ContentLength } = await client.send(new sdk.HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { bytes: ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(sdk, err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    const { sdk, client } = await this.connect();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertValidPrefix(prefix);
    const { sdk, client } = await this.connect();
    const folder = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    const pages = sdk.paginateListObjectsV2({ client }, { Bucket: this.options.bucket, Prefix: folder === '' ? '' : `${folder}/` });
    for await (const page of pages) for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
  }

  /** A presigned GET, valid `ttlSeconds` from now (SigV4 allows at most 7 days). */
  async signedUrl(key: string, ttlSeconds: number, options?: { downloadName?: string }): Promise<string> {
    assertValidKey(key);
    const { sdk, client } = await this.connect();
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const command = new sdk.GetObjectCommand({
      Bucket: this.options.bucket,
      Key: key,
      // Signed into the URL: S3 answers with this header, so the browser saves under the file's own name.
      ...(options?.downloadName ? { ResponseContentDisposition: `attachment; filename="${options.downloadName.replace(/["\\]/g, '_')}"` } : {}),
    });
    return getSignedUrl(client, command, { expiresIn: ttlSeconds });
  }

  /** Loads the SDK and reaches the bucket, once; a failure is not kept, so the next call retries. */
  private connect(): Promise<Connection> {
    this.connecting ??= open(this.options).catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }
}

async function open(options: S3BlobStoreOptions): Promise<Connection> {
  const sdk = await import('@aws-sdk/client-s3');
  const where = `bucket ${options.bucket} at ${options.endpoint ?? 'AWS S3'}`;
  const client = new sdk.S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Few retries: a refusing endpoint should fail a start-up check in seconds, not minutes.
    maxAttempts: 3,
  });
  try {
    await client.send(new sdk.HeadBucketCommand({ Bucket: options.bucket })).catch(async (err: unknown) => {
      if (!isNotFound(sdk, err)) throw err;
      await client.send(new sdk.CreateBucketCommand({ Bucket: options.bucket }));
    });
    return { sdk, client };
  } catch (err) {
    client.destroy();
    // HeadBucket answers a wrong key with a bare 403 and no message: say what was tried and what to check.
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const why = status === 403
      ? 'access denied (403): check the access key, the secret and the bucket policy'
      : status === 301 || (err instanceof Error && err.name === 'PermanentRedirect')
        ? 'the bucket is in another region or needs path-style addressing: check HOLDOUT_S3_REGION and HOLDOUT_S3_FORCE_PATH_STYLE'
        : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new Error(`s3 blob store: cannot open ${where}: ${why}`, { cause: err });
  }
}

function isNotFound(sdk: Sdk, err: unknown): boolean {
  if (err instanceof sdk.NoSuchKey || err instanceof sdk.NotFound || err instanceof sdk.NoSuchBucket) return true;
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
}
