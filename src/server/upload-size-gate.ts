import { formatBytes } from '../domain/format-bytes.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-error.js';

/** Room for the multipart boundaries and headers around the one file. */
const MULTIPART_SLACK = 64 * 1024;

/** The uploads that take a file: the submission and the bundle. */
const UPLOAD_PATHS = [/^\/api\/competitions\/[^/?]+\/submissions(?:\?|$)/, /^\/api\/competitions\/?(?:\?|$)/];


/** Why an upload request is refused from its headers alone, or undefined. Pure. */
export function oversizeUpload(method: string | undefined, url: string | undefined, contentLength: string | undefined, maxBytes: number): HttpError | undefined {
  if (method !== 'POST' || !url || !UPLOAD_PATHS.some((re) => re.test(url))) return undefined;
  const length = Number(contentLength);
  if (!contentLength || !Number.isFinite(length) || length <= maxBytes + MULTIPART_SLACK) return undefined;
  const what = url.includes('/submissions') ? 'submission.zip' : 'the bundle zip';
  return new HttpError(413, `the upload is ${formatBytes(length)}, larger than the limit of ${formatBytes(maxBytes)} for ${what}; nothing was read: remove files you do not need`, 'payload_too_large');
}

/**
 * Refuses an upload larger than `maxBytes` from its Content-Length, before a byte of it is read
 * (nobody streams 500 MB to hear "too large"). A client that sends `Expect: 100-continue` hears
 * the 413 instead of "100 Continue" and sends no body at all; any other is answered at once and
 * the connection closed rather than drained.
 */
export function gateUploadSize(app: FastifyInstance, maxBytes: number): void {
  app.addHook('onRequest', async (req, reply) => {
    const refused = oversizeUpload(req.method, req.url, req.headers['content-length'], maxBytes);
    if (!refused) return;
    reply.header('connection', 'close');
    throw refused;
  });
  // Node answers "100 Continue" by itself unless 'checkContinue' is handled: hold it back for a refusal.
  const server = app.server as Server;
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!oversizeUpload(req.method, req.url, req.headers['content-length'], maxBytes)) res.writeContinue();
    server.emit('request', req, res);
  });
}
