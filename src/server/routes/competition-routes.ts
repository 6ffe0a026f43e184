import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ArchiveError, extractZip } from '../../archive/safe-unzip.js';
import type { AppContext } from '../../app/context.js';
import { installCompetition } from '../../app/install-competition.js';
import { BundleError } from '../../bundle/bundle-error.js';
import type { StoredCompetition } from '../../db/competitions-repo.js';
import { rankLeaderboard } from '../../domain/leaderboard.js';
import { currentPhase } from '../../domain/phases.js';
import { requireAdmin } from '../build-server.js';
import { HttpError, notFound } from '../http-error.js';
import { receiveUpload } from '../receive-upload.js';
import { parse } from '../validate.js';

export async function competitionOr404(ctx: AppContext, slug: string): Promise<StoredCompetition> {
  const c = await ctx.competitions.bySlug(slug);
  if (!c) throw notFound(`competition "${slug}"`);
  return c;
}

/** Public files of a competition: the bundle files under one of `data.public`. */
async function publicFiles(ctx: AppContext, c: StoredCompetition): Promise<{ path: string; bytes: number }[]> {
  const prefix = `${c.bundleKey}/files/`;
  const roots = c.config.data.public.map((p) => p.replace(/\/+$/, ''));
  const files: { path: string; bytes: number }[] = [];
  for await (const key of ctx.blobs.list(prefix)) {
    const rel = key.slice(prefix.length);
    if (roots.some((r) => rel === r || rel.startsWith(`${r}/`))) files.push({ path: rel, bytes: (await ctx.blobs.stat(key))?.bytes ?? 0 });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function summary(c: StoredCompetition, now = new Date()) {
  const phase = currentPhase(c.config.phases, now);
  return { slug: c.slug, title: c.config.title, runtime: c.config.runtime, openPhase: phase?.name ?? null };
}

export const competitionRoutes = (ctx: AppContext): FastifyPluginAsync => async (app) => {
  app.get('/competitions', async () => (await ctx.competitions.list()).map((c) => summary(c)));

  app.get<{ Params: { slug: string } }>('/competitions/:slug', async (req) => {
    const c = await competitionOr404(ctx, req.params.slug);
    const { config } = c;
    return {
      ...summary(c),
      description: config.description,
      entrypoint: config.entrypoint.join(' '),
      limits: config.limits,
      layout: config.layout,
      predictionsFile: config.predictionsFile,
      metric: config.scoring.primary,
      extraMetrics: config.scoring.extra,
      phases: config.phases,
      bundleDigest: c.bundleDigest,
      files: await publicFiles(ctx, c),
      privateRevealed: c.privateRevealed,
    };
  });

  app.get<{ Params: { slug: string; '*': string } }>('/competitions/:slug/files/*', async (req, reply) => {
    const c = await competitionOr404(ctx, req.params.slug);
    const wanted = req.params['*'];
    const file = (await publicFiles(ctx, c)).find((f) => f.path === wanted);
    if (!file) throw notFound(`public file "${wanted}"`);
    reply.header('content-type', 'application/octet-stream');
    reply.header('content-length', file.bytes);
    reply.header('content-disposition', `attachment; filename="${path.basename(file.path)}"`);
    return reply.send(await ctx.blobs.get(`${c.bundleKey}/files/${file.path}`));
  });

  app.get<{ Params: { slug: string } }>('/competitions/:slug/leaderboard', async (req) => {
    const c = await competitionOr404(ctx, req.params.slug);
    const { part } = parse(z.object({ part: z.enum(['public', 'private']).default('public') }), req.query, 'query');
    if (part === 'private' && !c.privateRevealed && req.user?.role !== 'admin')
      throw new HttpError(403, 'the private leaderboard is hidden until the host reveals it');
    const rows = await ctx.submissions.scoredForBoard(c.id);
    const primary = c.config.scoring.primary;
    const entries = rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      submissionId: r.id,
      score: (part === 'public' ? r.public_primary : r.private_primary) ?? Number.NaN,
      scores: JSON.parse((part === 'public' ? r.public_scores : r.private_scores) ?? '{}') as Record<string, number>,
      createdAt: r.created_at,
    }));
    return { part, metric: primary.metric, higherIsBetter: primary.higherIsBetter, rows: rankLeaderboard(entries, primary.higherIsBetter) };
  });

  app.post<{ Params: { slug: string } }>('/competitions/:slug/reveal', async (req) => {
    requireAdmin(req);
    const c = await competitionOr404(ctx, req.params.slug);
    const { revealed } = parse(z.object({ revealed: z.boolean().default(true) }), req.body);
    await ctx.competitions.setPrivateRevealed(c.id, revealed);
    return { slug: c.slug, privateRevealed: revealed };
  });

  app.post('/competitions', async (req, reply) => {
    requireAdmin(req);
    const uploads = path.join(ctx.config.dataDir, 'uploads');
    const upload = await receiveUpload(req, uploads, ctx.config.maxUploadBytes, 'the bundle zip');
    await mkdir(uploads, { recursive: true });
    const dir = await mkdtemp(path.join(uploads, 'bundle-'));
    try {
      await extractZip(upload.file, dir, { maxBytes: ctx.config.maxUnpackedBytes, maxFiles: ctx.config.maxFiles });
      const c = await installCompetition(dir, ctx);
      return reply.status(201).send(summary(c));
    } catch (err) {
      if (err instanceof ArchiveError) throw new HttpError(400, err.message, 'invalid_archive');
      if (err instanceof BundleError) throw new HttpError(422, err.message, 'invalid_bundle', err.issues);
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(upload.file, { force: true });
    }
  });
};
