import { createHash, randomUUID, type Hash } from 'node:crypto';
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

/** The one file a store that writes in place (fs) keeps an upload's bytes in. */
const inPlaceKey = (uploadId: string) => `${partsPrefix(uploadId)}/data`;

/**
 * The sha256 of each upload whose bytes this process received in order, so far: the whole file's
 * digest then costs no second read of it. An upload continued on another server (or after a
 * restart) has none here, and is read back once at the end instead.
 */
const running = new Map<string, { offset: number; hash: Hash }>();

/** A part stored for a PATCH, until the upload row takes it (`commit`) or not (`drop`). */
export interface StoredPart extends UploadPart {
  /** The row took the part: the running digest moves on past it. */
  commit(): void;
  /** Another request's part was taken instead: this one's bytes go. */
  drop(): Promise<void>;
}

/**
 * Streams one PATCH body into the blob store, at most `room` bytes: into the upload's one file
 * where the store writes in place (fs: no byte is copied again when it completes), else into a
 * new part blob. A body that stops early (the client went away) is kept up to where it stopped,
 * so the next PATCH continues from there; with a checksum it is dropped, since what arrived cannot
 * be verified. A mismatching checksum (460) or a body past the upload's length (413) stores nothing.
 * @returns the stored part, or undefined when no byte came
 */
export async function storePart(blobs: BlobStore, uploadId: string, offset: number, req: IncomingMessage, room: number, checksum?: { algorithm: ChecksumAlgorithm; digest: string }): Promise<StoredPart | undefined> {
  const inPlace = blobs.writeAt !== undefined;
  const key = inPlace ? inPlaceKey(uploadId) : `${partsPrefix(uploadId)}/${String(offset).padStart(16, '0')}-${randomUUID().slice(0, 8)}`;
  const hash = checksum ? createHash(checksum.algorithm) : undefined;
  const before = running.get(uploadId);
  const whole = before?.offset === offset ? before.hash.copy() : offset === 0 ? createHash('sha256') : undefined;
  let bytes = 0;
  const body = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > room) return done(new HttpError(413, `the chunk goes past the upload's length (${room} bytes were left); send at most Upload-Length − Upload-Offset bytes`, 'payload_too_large'));
      hash?.update(chunk);
      whole?.update(chunk);
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
    // writeAt cuts the file back to `offset` itself when the body fails.
    if (blobs.writeAt) await blobs.writeAt(key, offset, body);
    else await blobs.put(key, body);
  } catch (err) {
    req.unpipe(body);
    req.resume(); // drain nothing more into memory; the reply closes the connection
    if (!inPlace) await blobs.delete(key).catch(() => {});
    throw err;
  } finally {
    req.off('aborted', stopped);
    req.off('close', stopped);
  }
  if (bytes === 0) {
    if (!inPlace) await blobs.delete(key);
    return undefined;
  }
  return {
    key,
    bytes,
    commit: () => {
      if (whole) running.set(uploadId, { offset: offset + bytes, hash: whole });
      else running.delete(uploadId);
    },
    // In place, the bytes the row took are the other request's; the next PATCH writes from its offset on.
    drop: async () => {
      if (!inPlace) await blobs.delete(key);
    },
  };
}

/**
 * Makes `key` the parts in order and removes the parts. In the fs store the upload's one file is
 * moved into place; other stores' parts are concatenated by the store or streamed through this
 * process (memory stays at a few chunks).
 * @returns the whole blob's sha256 (hex): the one computed as the bytes came in, or, when `withDigest`, read back
 * @throws HttpError 500 when the parts do not add up to `length` (then nothing is assembled)
 */
export async function assembleParts(blobs: BlobStore, key: string, uploadId: string, parts: readonly UploadPart[], length: number, withDigest: boolean): Promise<string | undefined> {
  const kept = running.get(uploadId);
  running.delete(uploadId);
  const known = kept?.offset === length ? kept.hash.digest('hex') : undefined;
  const inPlace = parts.length > 0 && parts.every((p) => p.key === inPlaceKey(uploadId));
  if (!inPlace && parts.some((p) => p.key === inPlaceKey(uploadId))) throw new HttpError(500, 'the stored upload mixes two ways of storing it (the server was upgraded in the middle); upload it again', 'upload_damaged');
  if (inPlace || blobs.concat) {
    const keys = inPlace ? [inPlaceKey(uploadId)] : parts.map((p) => p.key);
    if (inPlace && (await blobs.stat(keys[0]!))?.bytes !== length)
      throw new HttpError(500, 'the stored upload does not have the announced length (two requests wrote to it at once?); upload it again', 'upload_damaged');
    if (blobs.concat) await blobs.concat(key, keys);
    else await blobs.put(key, await blobs.get(keys[0]!)).then(() => blobs.delete(keys[0]!));
    // Known without a read, the digest is recorded even when the client sent none (provenance).
    return withDigest ? (known ?? digestOf(await blobs.get(key))) : known;
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
  running.delete(uploadId);
  for await (const key of blobs.list(partsPrefix(uploadId))) await blobs.delete(key);
}
