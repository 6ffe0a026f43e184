import { formatBytes } from '../domain/format-bytes.js';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';


/**
 * Streams the one file of a multipart request to a temp file (never into memory) and returns its
 * path, size and sha256; the caller removes it. Refuses a missing file or one over `maxBytes` with nothing left behind.
 */
export async function receiveUpload(req: FastifyRequest, dir: string, maxBytes: number, what: string): Promise<{ file: string; bytes: number; sha256: string }> {
  if (!req.isMultipart()) throw new HttpError(415, `send ${what} as multipart/form-data with one file field`, 'unsupported_media_type');
  const part = await req.file({ limits: { fileSize: maxBytes, files: 1 } });
  if (!part) throw new HttpError(400, `no file in the request: attach ${what} as a file field`);
  // Messages name the file the participant chose, not only what it stands for.
  const name = part.filename && part.filename !== what.replace(/^the /, '') ? `${part.filename} (${what})` : what;
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${randomUUID()}.upload`);
  let bytes = 0;
  // Hashed as it streams: the digest a result is traced to costs no second read of the file.
  const hash = createHash('sha256');
  part.file.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
  });
  try {
    await pipeline(part.file, createWriteStream(file, { flags: 'wx' }));
    if (part.file.truncated) {
      throw new HttpError(413, `${name} is larger than the limit of ${formatBytes(maxBytes)}; remove files you do not need`, 'payload_too_large');
    }
  } catch (err) {
    await rm(file, { force: true });
    if (err instanceof HttpError) throw err;
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
      throw new HttpError(413, `${name} is larger than the limit of ${formatBytes(maxBytes)}; remove files you do not need`, 'payload_too_large');
    throw new HttpError(400, `the upload was interrupted (${(err as Error).message}); try again`);
  }
  return { file, bytes, sha256: `sha256:${hash.digest('hex')}` };
}
