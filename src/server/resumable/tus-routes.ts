import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { UploadsRepo, type Upload } from '../../db/uploads-repo.js';
import { competitionOr404, requireUser } from '../access.js';
import { HttpError } from '../http-error.js';
import { admitSubmission } from '../routes/submission-admission.js';
import type { ServerDeps } from '../server-deps.js';
import { formatMiB } from '../upload-size-gate.js';
import { completeUpload } from './complete-upload.js';
import { byteCountHeader, CHECKSUM_ALGORITHMS, parseChecksum, parseMetadata, TUS_EXTENSIONS, TUS_VERSION } from './tus-headers.js';
import { removeParts, storePart } from './upload-parts.js';

const CHUNK_TYPE = 'application/offset+octet-stream';
const slugKind = z.object({ slug: z.string() });
const kindQuery = z.object({ kind: z.enum(['full', 'smoke']).default('full') });

/**
 * Resumable submission uploads over the tus protocol (core, creation, termination, expiration,
 * checksum), for tus-js-client in the CLI and the web app. Each PATCH body becomes one part blob in
 * the blob store as it streams in; the upload row in the database says how far it got. The last
 * PATCH assembles the parts and queues the submission (completeUpload), taking the quota then.
 * @remarks Written on Fastify rather than @tus/server: that one has no checksum extension, keeps
 * upload state in its own store, and would bypass our authentication and quota.
 */
export const tusRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  const uploads = new UploadsRepo(deps.db);
  const expiresAt = (now = Date.now()) => new Date(now + deps.config.uploadExpiryMinutes * 60_000).toISOString();
  // The body is read by storePart as it arrives, never by Fastify.
  app.addContentTypeParser(CHUNK_TYPE, (_req, _payload, done) => done(null));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('tus-resumable', TUS_VERSION);
  });

  const ownUpload = async (req: FastifyRequest): Promise<Upload> => {
    const user = requireUser(req);
    const { id } = z.object({ id: z.string() }).parse(req.params);
    const upload = await uploads.get(id);
    // Someone else's upload is as absent as one that never was.
    if (!upload || upload.userId !== user.id) throw new HttpError(404, 'no such upload (it finished, failed or expired); start the upload again');
    return upload;
  };
  const offsets = (reply: FastifyReply, u: Upload) =>
    reply.header('upload-offset', String(u.completed ? u.length : u.received)).header('upload-length', String(u.length))
      .header('upload-expires', new Date(u.expiresAt).toUTCString()).header('cache-control', 'no-store');

  app.options('/uploads', async (_req, reply) =>
    reply.status(204).header('tus-version', TUS_VERSION).header('tus-extension', TUS_EXTENSIONS)
      .header('tus-max-size', String(deps.config.maxUploadBytes)).header('tus-checksum-algorithm', CHECKSUM_ALGORITHMS.join(',')).send());

  app.post('/competitions/:slug/submissions/uploads', async (req, reply) => {
    const user = requireUser(req);
    const { slug } = slugKind.parse(req.params);
    const { kind } = kindQuery.parse(req.query);
    const length = byteCountHeader('Upload-Length', req.headers['upload-length']);
    if (length === undefined) throw new HttpError(400, 'Upload-Length is required: announce the size of submission.zip (deferred lengths are not supported)');
    // Refused before any byte is stored.
    if (length > deps.config.maxUploadBytes)
      throw new HttpError(413, `the upload is ${formatMiB(length)}, larger than the limit of ${formatMiB(deps.config.maxUploadBytes)} for submission.zip; nothing was stored: remove files you do not need`, 'payload_too_large');
    const metadata = parseMetadata(req.headers['upload-metadata'] as string | undefined);
    if (metadata.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(metadata.sha256)) throw new HttpError(400, 'Upload-Metadata sha256 must be 64 hex digits');
    const c = await competitionOr404(deps, slug);
    await admitSubmission(deps, user, c, kind, reply);
    const id = randomUUID();
    const expires = expiresAt();
    await uploads.create({ id, userId: user.id, competitionId: c.id, kind, length, metadata, expiresAt: expires }, new Date());
    return reply.status(201).header('location', `/api/uploads/${id}`).header('upload-expires', new Date(expires).toUTCString()).send();
  });

  app.head('/uploads/:id', async (req, reply) => offsets(reply, await ownUpload(req)).status(200).send());

  app.patch('/uploads/:id', async (req, reply) => {
    if (req.headers['content-type'] !== CHUNK_TYPE) throw new HttpError(415, `send the chunk as ${CHUNK_TYPE}`, 'unsupported_media_type');
    const upload = await ownUpload(req);
    const offset = byteCountHeader('Upload-Offset', req.headers['upload-offset']);
    if (upload.completed) return offsets(reply, upload).status(204).send();
    if (offset !== upload.received) {
      reply.header('upload-offset', String(upload.received));
      throw new HttpError(409, `Upload-Offset is ${offset ?? 'missing'}, but ${upload.received} bytes are stored; ask for the offset (HEAD) and continue from there`, 'offset_mismatch');
    }
    const room = upload.length - upload.received;
    const announced = byteCountHeader('Content-Length', req.headers['content-length']);
    if (announced !== undefined && announced > room) {
      reply.header('connection', 'close');
      throw new HttpError(413, `the chunk is ${announced} bytes, but only ${room} remain of the announced Upload-Length; nothing was stored`, 'payload_too_large');
    }
    const part = await storePart(deps.blobs, upload.id, offset, req.raw, room, parseChecksum(req.headers['upload-checksum']));
    let current = upload;
    if (part) {
      const expires = expiresAt();
      if (!(await uploads.appendPart(upload, part, expires))) {
        await deps.blobs.delete(part.key);
        throw new HttpError(409, 'another request wrote to this upload at the same time; ask for the offset (HEAD) and continue from there', 'offset_mismatch');
      }
      current = { ...upload, received: upload.received + part.bytes, parts: [...upload.parts, part], expiresAt: expires };
    }
    if (current.received === current.length) {
      await completeUpload(deps, uploads, current, requireUser(req), reply);
      current = { ...current, completed: true };
    }
    return offsets(reply, current).status(204).send();
  });

  app.delete('/uploads/:id', async (req, reply) => {
    const upload = await ownUpload(req);
    if (upload.completed) throw new HttpError(409, 'the upload is complete: it is a submission now');
    await removeParts(deps.blobs, upload.id);
    await uploads.delete(upload.id);
    return reply.status(204).send();
  });
};

/**
 * Removes uploads whose time is up: unfinished ones with every part they stored, finished ones'
 * rows. @returns how many were removed
 */
export async function sweepUploads(deps: Pick<ServerDeps, 'db' | 'blobs'>, now = new Date()): Promise<number> {
  const uploads = new UploadsRepo(deps.db);
  let removed = 0;
  for (const u of await uploads.expired(now)) {
    await removeParts(deps.blobs, u.id);
    await uploads.delete(u.id);
    removed++;
  }
  return removed;
}
