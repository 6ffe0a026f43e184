import type { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { DeterminismCheckRow } from '../../db/schema.js';
import type { WorkerToken } from '../../db/worker-tokens-repo.js';
import { rerunPrefix } from '../../domain/determinism.js';
import { predictionsKey } from '../../domain/kept-predictions.js';
import { scoringLogKey } from '../../domain/scoring-log.js';
import { BlobNotFoundError } from '../../storage/blob-store.js';
import { assertValidKey } from '../../storage/blob-key.js';
import { apiRoute } from '../api-route.js';
import { HttpError, notFound } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { heldByToken, requireWorkerToken } from '../worker-auth.js';

/** Largest blob a worker sends (a log, kept predictions, a scoring log: each capped far lower by the limits). */
const MAX_PUT_BYTES = 4 * 1024 ** 3;
/** Lifetime of a signed URL handed to a worker: long enough to start a large bundle file. */
const SIGNED_TTL_SECONDS = 15 * 60;

const checkHeldByToken = (token: WorkerToken, c: DeterminismCheckRow) =>
  c.status === 'running' && token.competitionIds.includes(c.competition_id) && (c.lease_owner ?? '').startsWith(`${token.id}/`);

/** The keys an attempt writes, by submission id (what run-submission and score-outputs put). */
const attemptKeys = (id: string) => [`logs/${id}.txt`, predictionsKey(id), scoringLogKey(id)];
const submissionOfKey = /^(?:logs\/([\w-]+)\.txt|outputs\/([\w-]+)\/predictions|scoring-logs\/([\w-]+)\.txt|submissions\/[\w.-]+\/([\w-]+)\.zip)$/;

/**
 * What a worker of this token may do with a key: read the bundles of its competitions, and read
 * and write the blobs of attempts it holds (the zip read-only). Anything else is a 403 that names
 * the key, so a token never reaches another competition's data or another worker's run.
 */
async function mayAccess(deps: ServerDeps, token: WorkerToken, key: string, write: boolean): Promise<void> {
  try {
    assertValidKey(key.replace(/\/$/, ''));
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  const match = submissionOfKey.exec(key);
  const id = match?.slice(1).find(Boolean);
  if (id?.startsWith(rerunPrefix)) {
    // A determinism check's re-run: its own log, predictions and scoring log, while the token holds the check.
    const check = await deps.checks.get(id.slice(rerunPrefix.length));
    if (check && checkHeldByToken(token, check) && attemptKeys(id).includes(key)) return;
    throw new HttpError(403, `worker token "${token.name}" may ${write ? 'write' : 'read'} blob ${key} only while one of its workers holds determinism check ${id.slice(rerunPrefix.length)}`, 'out_of_scope');
  }
  if (id) {
    const s = await deps.submissions.get(id);
    const inScope = s !== undefined && token.competitionIds.includes(s.competition_id);
    const held = inScope && heldByToken(token, s);
    const isZip = s?.zip_key === key;
    if (held && (isZip ? !write : attemptKeys(id).includes(key))) return;
    // A check runs the submission's code again and compares with its kept predictions: it reads both.
    if (inScope && !write && (isZip || key === predictionsKey(id)) && (await deps.checks.forSubmission(id)).some((c) => checkHeldByToken(token, c))) return;
    throw new HttpError(403, `worker token "${token.name}" may ${write ? 'write' : 'read'} blob ${key} only while one of its workers holds submission ${id}${isZip && write ? ' (and never write its code)' : ''}`, 'out_of_scope');
  }
  if (!write) {
    for (const cid of token.competitionIds) {
      const c = await deps.competitions.byId(cid);
      if (c && (key === c.bundleKey || key.startsWith(`${c.bundleKey}/`))) return;
    }
  }
  throw new HttpError(403, `worker token "${token.name}" may not ${write ? 'write' : 'read'} blob ${key}: it reads only the bundles of its competitions and the blobs of the runs it holds`, 'out_of_scope');
}

const keyQuery = z.object({ key: z.string().min(1).max(1024) });

/**
 * Blobs for workers that hold no blob-store credentials. Reads are answered with a 302 to a
 * signed, read-only URL of the store where it can make one (Azure), so bundle data and zips do
 * not pass through the server; otherwise (the fs store) the server streams them. Writes (logs,
 * kept predictions, scoring logs) come through the server, which checks the key first.
 */
export const workerBlobRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  // The body of a PUT is the blob itself, streamed to the store unread.
  app.addContentTypeParser('application/octet-stream', { bodyLimit: MAX_PUT_BYTES }, (_req, payload, done) => done(null, payload));

  apiRoute(app, {
    method: 'GET', url: '/worker/blobs', tag: 'workers', access: 'worker', summary: 'Read a blob (a 302 to a signed URL where the store has them)',
    query: keyQuery,
    handler: async (req, reply, { query }) => {
      const token = await requireWorkerToken(deps, req);
      await mayAccess(deps, token, query.key, false);
      if (deps.blobs.signedUrl) {
        if (!(await deps.blobs.stat(query.key))) throw notFound(`blob ${query.key}`);
        return reply.redirect(await deps.blobs.signedUrl(query.key, SIGNED_TTL_SECONDS), 302);
      }
      try {
        const body = await deps.blobs.get(query.key);
        return reply.header('content-type', 'application/octet-stream').send(body);
      } catch (err) {
        if (err instanceof BlobNotFoundError) throw notFound(`blob ${query.key}`);
        throw err;
      }
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/worker/blob-stat', tag: 'workers', access: 'worker', summary: 'Size of a blob (404 when there is none)',
    query: keyQuery,
    handler: async (req, _reply, { query }) => {
      const token = await requireWorkerToken(deps, req);
      await mayAccess(deps, token, query.key, false);
      const stat = await deps.blobs.stat(query.key);
      if (!stat) throw notFound(`blob ${query.key}`);
      return stat;
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/worker/blob-list', tag: 'workers', access: 'worker', summary: 'Keys under a prefix of a bundle this worker reads',
    query: z.object({ prefix: z.string().min(1).max(1024) }),
    handler: async (req, _reply, { query }) => {
      const token = await requireWorkerToken(deps, req);
      await mayAccess(deps, token, query.prefix, false);
      const keys: string[] = [];
      for await (const key of deps.blobs.list(query.prefix)) keys.push(key);
      return { keys };
    },
  });

  apiRoute(app, {
    method: 'PUT', url: '/worker/blobs', tag: 'workers', access: 'worker', summary: 'Write a blob of an attempt this worker holds (body: application/octet-stream)',
    query: keyQuery,
    handler: async (req, _reply, { query }) => {
      const token = await requireWorkerToken(deps, req);
      await mayAccess(deps, token, query.key, true);
      if (!req.headers['content-type']?.startsWith('application/octet-stream')) throw new HttpError(415, 'send the blob as application/octet-stream');
      return deps.blobs.put(query.key, req.body as Readable);
    },
  });

  apiRoute(app, {
    method: 'DELETE', url: '/worker/blobs', tag: 'workers', access: 'worker', summary: 'Remove a blob of an attempt this worker holds',
    query: keyQuery,
    handler: async (req, reply, { query }) => {
      const token = await requireWorkerToken(deps, req);
      await mayAccess(deps, token, query.key, true);
      await deps.blobs.delete(query.key);
      return reply.status(204).send();
    },
  });
};
