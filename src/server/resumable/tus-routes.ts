import { formatBytes } from '../../domain/format-bytes.js';
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { UploadsRepo, type Upload, type UploadKind } from '../../db/uploads-repo.js';
import { competitionOr404, requireUser, type RequestUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import { refuseOthersSlug, requireHostRole } from '../bundle-install.js';
import { HttpError } from '../http-error.js';
import { admitSubmission } from '../routes/submission-admission.js';
import type { ServerDeps } from '../server-deps.js';
import { completeBundleUpload } from './complete-bundle.js';
import { completeUpload, isSubmissionUpload } from './complete-upload.js';
import { byteCountHeader, CHECKSUM_ALGORITHMS, parseChecksum, parseMetadata, TUS_EXTENSIONS, TUS_VERSION } from './tus-headers.js';
import { creationHeaders, patchHeaders, uploadStatusSchema } from './tus-docs.js';
import { removeParts, storePart } from './upload-parts.js';

const CHUNK_TYPE = 'application/offset+octet-stream';
const slugParams = z.object({ slug: z.string() });
const idParams = z.object({ id: z.string() });
const kindQuery = z.object({ kind: z.enum(['full', 'smoke']).default('full').describe('full: scored on the test set; smoke: the small public sample') });

/**
 * Resumable uploads over the tus protocol (core, creation, termination, expiration, checksum), for
 * tus-js-client in the CLI and the web app: submissions, and competition bundles of hosts. Each
 * PATCH body becomes one part blob in the blob store as it streams in; the upload row in the
 * database says how far it got. The last PATCH turns the parts into what the upload becomes: a
 * queued submission (completeUpload, taking the quota then) or an installed competition
 * (completeBundleUpload).
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
    const { id } = idParams.parse(req.params);
    const upload = await uploads.get(id);
    // Someone else's upload is as absent as one that never was.
    if (!upload || upload.userId !== user.id) throw new HttpError(404, 'no such upload (it finished, failed or expired); start the upload again');
    return upload;
  };
  const offsets = (reply: FastifyReply, u: Upload) =>
    reply.header('upload-offset', String(u.completed ? u.length : u.received)).header('upload-length', String(u.length))
      .header('upload-expires', new Date(u.expiresAt).toUTCString()).header('cache-control', 'no-store');
  /** Upload-Length and Upload-Metadata of a creation request, the length checked before any byte is stored. */
  const announced = (req: FastifyRequest, what: string) => {
    const length = byteCountHeader('Upload-Length', req.headers['upload-length']);
    if (length === undefined) throw new HttpError(400, `Upload-Length is required: announce the size of ${what} (deferred lengths are not supported)`);
    if (length > deps.config.maxUploadBytes)
      throw new HttpError(413, `the upload is ${formatBytes(length)}, larger than the limit of ${formatBytes(deps.config.maxUploadBytes)} for ${what}; nothing was stored`, 'payload_too_large');
    const metadata = parseMetadata(req.headers['upload-metadata'] as string | undefined);
    if (metadata.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(metadata.sha256)) throw new HttpError(400, 'Upload-Metadata sha256 must be 64 hex digits');
    return { length, metadata };
  };
  const create = async (reply: FastifyReply, user: RequestUser, u: { competitionId: string | null; kind: UploadKind; length: number; metadata: Record<string, string> }) => {
    const id = randomUUID();
    const expires = expiresAt();
    await uploads.create({ id, userId: user.id, ...u, expiresAt: expires }, new Date());
    return reply.status(201).header('location', `/api/uploads/${id}`).header('upload-expires', new Date(expires).toUTCString()).send();
  };
  const created = { 201: { description: 'Created: `Location` is the upload URL to PATCH chunks to; `Upload-Expires` says until when an unfinished upload is kept' } };

  apiRoute(app, {
    method: 'OPTIONS', url: '/uploads', tag: 'uploads', access: 'anyone', summary: 'What the tus server supports (version, extensions, largest upload, checksum algorithms)',
    responses: { 204: { description: '`Tus-Version`, `Tus-Extension`, `Tus-Max-Size` and `Tus-Checksum-Algorithm` headers' } },
    handler: async (_req, reply) =>
      reply.status(204).header('tus-version', TUS_VERSION).header('tus-extension', TUS_EXTENSIONS)
        .header('tus-max-size', String(deps.config.maxUploadBytes)).header('tus-checksum-algorithm', CHECKSUM_ALGORITHMS.join(',')).send(),
  });

  apiRoute(app, {
    method: 'POST', url: '/competitions/:slug/submissions/uploads', tag: 'uploads', access: 'user', params: slugParams, query: kindQuery, headers: creationHeaders('submission.zip'),
    summary: 'Start a resumable submission upload (tus creation)',
    description: 'Refused before any byte is stored when the size is over the limit or a submission may not be made now (quota, phase, rules). The quota is taken once, when the last chunk arrives; the submission\'s id is the upload\'s.',
    responses: created,
    handler: async (req, reply, { params, query }) => {
      const user = requireUser(req);
      const { length, metadata } = announced(req, 'submission.zip');
      const c = await competitionOr404(deps, params.slug);
      await admitSubmission(deps, user, c, query.kind, reply);
      return create(reply, user, { competitionId: c.id, kind: query.kind, length, metadata });
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/competitions/uploads', tag: 'uploads', access: 'host', headers: { ...creationHeaders('the bundle zip'), 'Upload-Metadata': { description: 'base64 pairs: `filename`, `sha256` (hex, checked once all bytes are in) and `slug` (the slug the bundle declares: someone else\'s is refused before any byte is stored)' } },
    summary: 'Start a resumable competition bundle upload (tus creation)',
    description: 'The last chunk unpacks, validates and installs the bundle; its answer is the bundle\'s error (422 lists every problem, nothing installed), or 204, after which GET /api/uploads/{id} says which competition it made.',
    responses: created,
    handler: async (req, reply) => {
      const user = requireUser(req);
      requireHostRole(user);
      const { length, metadata } = announced(req, 'the bundle zip');
      if (metadata.slug) await refuseOthersSlug(deps, user, metadata.slug);
      return create(reply, user, { competitionId: null, kind: 'bundle', length, metadata });
    },
  });

  apiRoute(app, {
    method: 'HEAD', url: '/uploads/:id', tag: 'uploads', access: 'owner', params: idParams, summary: 'How many bytes of an upload the server has (tus offset)',
    responses: { 200: { description: '`Upload-Offset`: continue from there; `Upload-Length`, `Upload-Expires`' } },
    handler: async (req, reply) => offsets(reply, await ownUpload(req)).status(200).send(),
  });

  apiRoute(app, {
    method: 'GET', url: '/uploads/:id', tag: 'uploads', access: 'owner', params: idParams, summary: 'An upload\'s state, and what it became',
    responses: { 200: { description: 'The upload', schema: uploadStatusSchema } },
    handler: async (req) => {
      const u = await ownUpload(req);
      return {
        id: u.id, kind: u.kind, length: u.length, offset: u.completed ? u.length : u.received, expiresAt: u.expiresAt,
        state: u.completed ? 'completed' : u.checking ? 'checking' : 'receiving',
        submissionId: u.completed && u.kind !== 'bundle' ? u.id : null,
        competition: u.result,
      };
    },
  });

  const writing = new Set<string>();
  const patchChunk = async (req: FastifyRequest, reply: FastifyReply) => {
    const upload = await ownUpload(req);
    const offset = byteCountHeader('Upload-Offset', req.headers['upload-offset']);
    if (upload.completed || upload.checking) return offsets(reply, upload).status(204).send();
    if (offset !== upload.received) {
      reply.header('upload-offset', String(upload.received));
      throw new HttpError(409, `Upload-Offset is ${offset ?? 'missing'}, but ${upload.received} bytes are stored; ask for the offset (HEAD) and continue from there`, 'offset_mismatch');
    }
    const room = upload.length - upload.received;
    const length = byteCountHeader('Content-Length', req.headers['content-length']);
    if (length !== undefined && length > room) {
      reply.header('connection', 'close');
      throw new HttpError(413, `the chunk is ${length} bytes, but only ${room} remain of the announced Upload-Length; nothing was stored`, 'payload_too_large');
    }
    const part = await storePart(deps.blobs, upload.id, offset, req.raw, room, parseChecksum(req.headers['upload-checksum']));
    let current = upload;
    if (part) {
      const expires = expiresAt();
      const stored = { key: part.key, bytes: part.bytes };
      if (!(await uploads.appendPart(upload, stored, expires))) {
        await part.drop();
        throw new HttpError(409, 'another request wrote to this upload at the same time; ask for the offset (HEAD) and continue from there', 'offset_mismatch');
      }
      part.commit();
      current = { ...upload, received: upload.received + part.bytes, parts: [...upload.parts, stored], expiresAt: expires };
    }
    if (current.received === current.length) {
      if (isSubmissionUpload(current)) await completeUpload(deps, uploads, current, requireUser(req), reply);
      else await completeBundleUpload(deps, uploads, current, requireUser(req));
      current = { ...current, completed: true };
    }
    return offsets(reply, current).status(204).send();
  };

  apiRoute(app, {
    method: 'PATCH', url: '/uploads/:id', tag: 'uploads', access: 'owner', params: idParams, headers: patchHeaders,
    rawBody: { contentType: CHUNK_TYPE, description: 'The next bytes of the file, from Upload-Offset on; a body cut off is kept up to where it stopped (unless it has a checksum)' },
    summary: 'Send the next chunk of an upload (tus); the last one completes it',
    responses: { 204: { description: 'Stored: `Upload-Offset` is the new offset' } },
    handler: async (req, reply) => {
      if (req.headers['content-type'] !== CHUNK_TYPE) throw new HttpError(415, `send the chunk as ${CHUNK_TYPE}`, 'unsupported_media_type');
      const { id } = idParams.parse(req.params);
      // One write at a time per upload here (the fs store writes in place). A client that restarts
      // while its old request still runs gets 409, which tus-js-client retries after asking the offset.
      if (writing.has(id)) {
        // Its body is not read: the connection cannot carry another request after it.
        reply.header('connection', 'close');
        throw new HttpError(409, 'another request is writing to this upload; ask for the offset (HEAD) and continue from there', 'offset_mismatch');
      }
      writing.add(id);
      try {
        return await patchChunk(req, reply);
      } finally {
        writing.delete(id);
      }
    },
  });

  apiRoute(app, {
    method: 'DELETE', url: '/uploads/:id', tag: 'uploads', access: 'owner', params: idParams, summary: 'Abandon an unfinished upload and what it stored (tus termination)',
    responses: { 204: { description: 'Removed' } },
    handler: async (req, reply) => {
      const upload = await ownUpload(req);
      if (upload.completed || upload.checking) throw new HttpError(409, upload.kind === 'bundle' ? 'the bundle upload is complete: it is being installed or was installed' : 'the upload is complete: it is a submission now');
      await removeParts(deps.blobs, upload.id);
      await uploads.delete(upload.id);
      return reply.status(204).send();
    },
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
