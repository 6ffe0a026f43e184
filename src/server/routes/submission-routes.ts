import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ArchiveError, checkEntryPoint, extractZip } from '../../archive/safe-unzip.js';
import type { AppContext } from '../../app/context.js';
import { QuotaExceededError } from '../../db/db-errors.js';
import type { SubmissionRow } from '../../db/schema.js';
import { currentPhase, quotaDay } from '../../domain/phases.js';
import { reasonAdvice } from '../../domain/submission.js';
import { requireUser } from '../build-server.js';
import { HttpError, notFound } from '../http-error.js';
import { receiveUpload } from '../receive-upload.js';
import { parse } from '../validate.js';
import { competitionOr404 } from './competition-routes.js';

/** The file the entry point runs: the first argument after the interpreter, or the command itself. */
export function entryFile(entrypoint: readonly string[]): string | undefined {
  const [cmd, ...args] = entrypoint;
  const arg = args.find((a) => !a.startsWith('-'));
  if (arg) return arg.replace(/^\.\//, '');
  return cmd?.startsWith('./') ? cmd.slice(2) : undefined;
}

const parseScores = (json: string | null) => (json ? (JSON.parse(json) as Record<string, number>) : null);

/** A submission as its owner sees it. Private scores only once revealed (or for an admin). */
export function submissionView(s: SubmissionRow, opts: { showPrivate: boolean }) {
  return {
    id: s.id,
    kind: s.kind,
    phase: s.phase,
    status: s.status,
    reason: s.reason,
    message: s.message,
    advice: s.reason ? reasonAdvice[s.reason] : null,
    createdAt: s.created_at,
    startedAt: s.started_at,
    finishedAt: s.finished_at,
    runMs: s.run_ms,
    exitCode: s.exit_code,
    zipBytes: Number(s.zip_bytes),
    publicScore: s.public_primary,
    publicScores: parseScores(s.public_scores),
    ...(opts.showPrivate ? { privateScore: s.private_primary, privateScores: parseScores(s.private_scores) } : {}),
    logBytes: s.log_bytes === null ? null : Number(s.log_bytes),
    logTruncated: s.log_truncated === 1,
    attempts: s.attempts,
  };
}

export const submissionRoutes = (ctx: AppContext): FastifyPluginAsync => async (app) => {
  /** A submission the requester may see; someone else's is reported as missing, not forbidden. */
  async function ownSubmission(req: FastifyRequest<{ Params: { id: string } }>): Promise<SubmissionRow> {
    const user = requireUser(req);
    const s = await ctx.submissions.get(req.params.id);
    if (!s || (s.user_id !== user.id && user.role !== 'admin')) throw notFound(`submission ${req.params.id}`);
    return s;
  }

  app.post<{ Params: { slug: string } }>('/competitions/:slug/submissions', async (req, reply) => {
    const user = requireUser(req);
    const c = await competitionOr404(ctx, req.params.slug);
    const { kind } = parse(z.object({ kind: z.enum(['full', 'smoke']).default('full') }), req.query, 'query');
    const now = new Date();
    const phase = currentPhase(c.config.phases, now);
    if (!phase) throw new HttpError(409, `"${c.config.title}" is not open for submissions now; see its phases for the dates`, 'not_open');
    if (kind === 'smoke' && !c.config.data.smoke) throw new HttpError(400, 'this competition has no smoke sample; submit a full run');
    // Smoke runs have their own daily allowance so that testing never costs a real submission.
    const day = kind === 'smoke' ? `${quotaDay(now)}:smoke` : quotaDay(now);
    const quotaError = () =>
      new HttpError(429, `you have used all ${phase.dailyQuota} ${kind} submissions of today (UTC) in phase "${phase.name}"; try again tomorrow`, 'quota_exceeded');
    // Checked before the upload so nobody streams 500 MB to hear "no"; re-checked atomically at insert.
    if ((await ctx.submissions.usedToday(c.id, user.id, phase.name, day)) >= phase.dailyQuota) throw quotaError();

    const uploads = path.join(ctx.config.dataDir, 'uploads');
    const upload = await receiveUpload(req, uploads, ctx.config.maxUploadBytes, 'submission.zip');
    await mkdir(uploads, { recursive: true });
    const unpacked = await mkdtemp(path.join(uploads, 'check-'));
    const id = randomUUID();
    const zipKey = `submissions/${c.slug}/${id}.zip`;
    try {
      // Unpacking for real (not just reading the directory) also catches archives that lie about sizes.
      const entries = await extractZip(upload.file, unpacked, { maxBytes: ctx.config.maxUnpackedBytes, maxFiles: ctx.config.maxFiles });
      const entry = entryFile(c.config.entrypoint);
      if (entry) checkEntryPoint(entries, entry);
      await ctx.blobs.put(zipKey, createReadStream(upload.file));
      const row = await ctx.submissions.insertWithinQuota(
        {
          id,
          competition_id: c.id,
          user_id: user.id,
          phase: phase.name,
          kind,
          status: 'queued',
          reason: null,
          message: null,
          zip_key: zipKey,
          zip_bytes: upload.bytes,
          created_at: now.toISOString(),
          started_at: null,
          finished_at: null,
          run_ms: null,
          exit_code: null,
          public_scores: null,
          private_scores: null,
          public_primary: null,
          private_primary: null,
          log_key: null,
          log_bytes: null,
          lease_owner: null,
          lease_expires_at: null,
          quota_day: day,
        },
        phase.dailyQuota,
      );
      ctx.worker?.wake();
      return reply.status(201).send(submissionView(row, { showPrivate: false }));
    } catch (err) {
      await ctx.blobs.delete(zipKey);
      if (err instanceof ArchiveError) throw new HttpError(400, `submission.zip: ${err.message}`, 'invalid_archive');
      if (err instanceof QuotaExceededError) throw quotaError();
      throw err;
    } finally {
      await rm(unpacked, { recursive: true, force: true });
      await rm(upload.file, { force: true });
    }
  });

  app.get<{ Params: { slug: string } }>('/competitions/:slug/submissions', async (req) => {
    const user = requireUser(req);
    const c = await competitionOr404(ctx, req.params.slug);
    const rows = await ctx.submissions.listForUser(c.id, user.id);
    return rows.map((s) => submissionView(s, { showPrivate: c.privateRevealed || user.role === 'admin' }));
  });

  app.get<{ Params: { id: string } }>('/submissions/:id', async (req) => {
    const s = await ownSubmission(req);
    const c = await ctx.competitions.byId(s.competition_id);
    return submissionView(s, { showPrivate: Boolean(c?.privateRevealed) || req.user?.role === 'admin' });
  });

  app.get<{ Params: { id: string } }>('/submissions/:id/logs', async (req, reply) => {
    const s = await ownSubmission(req);
    if (!s.log_key) throw notFound(`log of submission ${s.id} (it has not run yet)`);
    reply.header('content-type', 'text/plain; charset=utf-8');
    return reply.send(await ctx.blobs.get(s.log_key));
  });
};
