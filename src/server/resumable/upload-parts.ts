import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';
import type { UploadPart } from '../../db/uploads-repo.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { HttpError } from '../http-error.js';
import type { ChecksumAlgorithm } from './tus-headers.js';

/** Folder of an upload's parts in the blob store. */
export function partsPrefix(uploadId: string): string {
  return `uploads/${uploadId}`;
}

/**
 * Streams one PATCH body into a new part blob, at most `room` bytes. A body that stops early (the
 * client went away) is kept up to where it stopped, so the next PATCH continues from there; with a
 * checksum it is dropped, since what arrived cannot be verified. A mismatching checksum (460) or a
 * body past the upload's length (413) stores nothing.
 * @returns the stored part, or undefined when no byte came
 */
export async function storePart(blobs: BlobStore, uploadId: string, offset: number, req: IncomingMessage, room: number, checksum?: { algorithm: ChecksumAlgorithm; digest: string }): Promise<UploadPart | undefined> {
  const key = `${partsPrefix(uploadId)}/${String(offset).padStart(16, '0')}-${randomUUID().slice(0, 8)}`;
  const hash = checksum ? createHash(checksum.algorithm) : undefined;
  let bytes = 0;
  const body = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > room) return done(new HttpError(413, `the chunk goes past the upload's length (${room} bytes were left); send at most Upload-Length − Upload-Offset bytes`, 'payload_too_large'));
      hash?.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      const got = hash?.digest('base64');
      if (checksum && got !== checksum.digest) return done(new HttpError(460, `the chunk's ${checksum.algorithm} is ${got}, not ${checksum.digest} as Upload-Checksum says: it was damaged on the way; send it again`, 'checksum_mismatch'));
      done();
    },
  });
  const stopped = () => {
    if (req.complete) return;
    req.unpipe(body);
    if (checksum) body.destroy(new HttpError(400, 'the chunk was cut off before its end; it was dropped (its checksum cannot be verified)', 'incomplete_chunk'));
    else body.end();
  };
  req.once('aborted', stopped);
  req.once('close', stopped);
  req.pipe(body);
  try {
    await blobs.put(key, body);
  } catch (err) {
    req.unpipe(body);
    req.resume(); // drain nothing more into memory; the reply closes the connection
    await blobs.delete(key).catch(() => {});
    throw err;
  } finally {
    req.off('aborted', stopped);
    req.off('close', stopped);
  }
  if (bytes === 0) {
    await blobs.delete(key);
    return undefined;
  }
  return { key, bytes };
}

/**
 * Makes `key` the parts in order and removes the parts. The fs store moves and appends files; other
 * stores get the parts streamed through this process (memory stays at a few chunks).
 * @returns the whole blob's sha256 (hex) when `withDigest`, computed on the way or read back
 */
export async function assembleParts(blobs: BlobStore, key: string, parts: readonly UploadPart[], withDigest: boolean): Promise<string | undefined> {
  if (blobs.concat) {
    await blobs.concat(key, parts.map((p) => p.key));
    return withDigest ? digestOf(await blobs.get(key)) : undefined;
  }
  const hash = createHash('sha256');
  const all = async function* () {
    for (const part of parts) {
      for await (const chunk of await blobs.get(part.key)) {
        hash.update(chunk as Buffer);
        yield chunk as Buffer;
      }
    }
  };
  await blobs.put(key, Readable.from(all()));
  await Promise.all(parts.map((p) => blobs.delete(p.key)));
  return withDigest ? hash.digest('hex') : undefined;
}

async function digestOf(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Removes whatever an upload stored (parts that made it into the row and any left by a crash). */
export async function removeParts(blobs: BlobStore, uploadId: string): Promise<void> {
  for await (const key of blobs.list(partsPrefix(uploadId))) await blobs.delete(key);
}
