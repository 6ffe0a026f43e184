import type { FastifyReply } from 'fastify';
import type { ServerDeps } from './server-deps.js';

/** How long a signed download URL stays valid. */
const SIGNED_URL_SECONDS = 15 * 60;

/**
 * Answers with a blob as a file to save: straight from the blob store through a read-only URL
 * that expires (with HOLDOUT_SIGNED_DOWNLOADS on a store that signs URLs), else streamed through
 * the server.
 */
export async function sendBlobDownload(
  deps: Pick<ServerDeps, 'blobs' | 'config'>,
  reply: FastifyReply,
  blob: { key: string; bytes: number; downloadName: string; contentType: string },
): Promise<FastifyReply> {
  if (deps.config.signedDownloads && deps.blobs.signedUrl) {
    // The URL is a credential that expires: never cached.
    const url = await deps.blobs.signedUrl(blob.key, SIGNED_URL_SECONDS, { downloadName: blob.downloadName });
    return reply.header('cache-control', 'no-store').redirect(url, 302);
  }
  // Opened first: a missing blob answers with its error, not under the file's headers.
  const body = await deps.blobs.get(blob.key);
  reply.header('content-type', blob.contentType);
  reply.header('content-length', blob.bytes);
  reply.header('content-disposition', `attachment; filename="${blob.downloadName.replace(/["\\]/g, '_')}"`);
  return reply.send(body);
}
