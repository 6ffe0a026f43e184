import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { localTestKit } from '../../app/local-test.js';
import { formatColumns } from '../../bundle/format-columns.js';
import type { StoredCompetition } from '../../db/competitions-repo.js';
import { type CompetitionConfig, finalSelectionsOf } from '../../domain/competition.js';
import { budgetStanding } from '../../domain/compute-budget.js';
import { formatCommand } from '../../domain/entry-file.js';
import { budgetWeekStart, currentPhase, phaseConfig, quotaDay } from '../../domain/phases.js';
import { competitionOr404, isHostOf, requireUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import { sendBlobDownload } from '../blob-download.js';
import { installBundleZip, requireHostRole } from '../bundle-install.js';
import { competitionRules, limitsInWords } from '../competition-rules.js';
import { HttpError, notFound } from '../http-error.js';
import { receiveUpload } from '../receive-upload.js';
import type { ServerDeps } from '../server-deps.js';

export const slugParams = z.object({ slug: z.string() });

/**
 * Public files of a competition: the bundle files under one of `data.public`, and the smoke
 * sample (features, labels, format), which `holdout test-submission` runs and scores locally.
 */
async function publicFiles(deps: ServerDeps, c: StoredCompetition): Promise<{ path: string; bytes: number }[]> {
  const prefix = `${c.bundleKey}/files/`;
  // The smoke sample of every phase with data of its own too: a local test of that phase runs on it.
  const smokes = [c.config.data.smoke, ...c.config.phases.map((p) => p.own?.data?.smoke)].flatMap((s) => (s ? [s.features, s.labels, s.submissionFormat] : []));
  const roots = [...c.config.data.public, ...smokes].map((p) => p.replace(/\/+$/, ''));
  // Never served, whatever a root names (a smoke sample pointing at the real labels, say): any
  // phase's test features or labels (a file, or a raw scoring program's folder), and the
  // harness's files (a host's program that participants must not read or copy).
  const secret = [c.config.data, ...c.config.phases.flatMap((p) => (p.own?.data ? [p.own.data] : []))]
    .flatMap((d) => [d.labels, ...(d.testFeatures === undefined ? [] : [d.testFeatures])])
    .concat(c.config.harness?.dir ? [c.config.harness.dir] : [])
    .map((p) => p.replace(/\/+$/, ''));
  const hidden = (rel: string) => secret.some((s) => rel === s || rel.startsWith(`${s}/`));
  const files: { path: string; bytes: number }[] = [];
  for await (const key of deps.blobs.list(prefix)) {
    const rel = key.slice(prefix.length);
    if (!hidden(rel) && roots.some((r) => rel === r || rel.startsWith(`${r}/`))) files.push({ path: rel, bytes: (await deps.blobs.stat(key))?.bytes ?? 0 });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * The submission format's columns and a valid value for each (from its first row), without any id:
 * what `holdout init` writes a main.py for, also for a competition without a smoke sample.
 */
async function submissionColumns(deps: ServerDeps, c: StoredCompetition, config: CompetitionConfig) {
  const stream = await deps.blobs.get(`${c.bundleKey}/files/${config.data.submissionFormat}`);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    bytes += chunk.length;
    // Two lines are enough: the header and one row.
    if (bytes > 65_536 || chunk.filter((b) => b === 0x0a).length >= 2) break;
  }
  stream.destroy();
  return { idColumn: config.idColumn, ...formatColumns(Buffer.concat(chunks).toString('utf8'), config.idColumn) };
}

/** open: a phase is running; upcoming: the first phase is ahead; finished: all have ended. */
function competitionState(c: StoredCompetition, now: Date): 'open' | 'upcoming' | 'finished' {
  if (currentPhase(c.config.phases, now)) return 'open';
  return c.config.phases.some((p) => p.start > now) ? 'upcoming' : 'finished';
}

export function summary(c: StoredCompetition, now = new Date()) {
  const phase = currentPhase(c.config.phases, now);
  // The runtime a submission sent now runs in: the open phase's.
  const runtime = phase ? phaseConfig(c.config, phase.name).runtime : c.config.runtime;
  return { slug: c.slug, title: c.config.title, runtime, openPhase: phase?.name ?? null, state: competitionState(c, now) };
}

/** What a participant pulls to test in a runtime (holdout runtime pull), and the image ID it must have; null without an image. */
function runtimeImageOf(config: Pick<CompetitionConfig, 'runtimeImage' | 'runtimeDigest'>) {
  return config.runtimeImage === undefined ? null : { reference: config.runtimeImage, digest: config.runtimeDigest ?? null };
}

const summarySchema = z.object({ slug: z.string(), title: z.string(), runtime: z.string(), openPhase: z.string().nullable(), state: z.enum(['open', 'upcoming', 'finished']) });

/** Submissions used and left today for the signed-in user (their team's when in one). */
async function quotaToday(deps: ServerDeps, c: StoredCompetition, userId: string, teamId: string | undefined, now: Date) {
  const phase = currentPhase(c.config.phases, now);
  if (!phase) return null;
  const day = quotaDay(now);
  const owner = { userId, teamId };
  const used = await deps.quota.usedToday(c.id, owner, phase.name, day);
  const smoke = await deps.quota.usedToday(c.id, owner, phase.name, `${day}:smoke`);
  const left = (n: number) => Math.max(0, phase.dailyQuota - n);
  const failed = phase.failedQuota ? { limit: phase.failedQuota, used: await deps.quota.usedToday(c.id, owner, phase.name, `${day}:failed`) } : null;
  const week = budgetWeekStart(now);
  const budget = phase.weeklyBudget
    ? { ...budgetStanding(await deps.quota.computeSince(c.id, owner, week.toISOString()), phase.weeklyBudget), resetsAt: new Date(week.getTime() + 7 * 86400_000).toISOString() }
    : null;
  return { phase: phase.name, limit: phase.dailyQuota, full: { used, left: left(used) }, smoke: { used: smoke, left: left(smoke) }, failed, budget, resetsAt: `${day}T23:59:59.999Z` };
}

/** What a signed-in user needs to know about their standing in a competition. */
export async function myStanding(deps: ServerDeps, c: StoredCompetition, user: NonNullable<FastifyRequest['user']>, now = new Date()) {
  const team = await deps.teams.teamOf(c.id, user.id);
  const dq = await deps.roles.disqualification(c.id, user.id);
  return {
    rulesAcceptedAt: (await deps.roles.acceptedRulesAt(c.id, user.id)) ?? null,
    isHost: await isHostOf(deps, user, c),
    team: team ? { id: team.id, name: team.name } : null,
    disqualified: dq ? dq.reason : null,
    quota: await quotaToday(deps, c, user.id, team?.id, now),
  };
}

export const competitionRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'GET', url: '/competitions', tag: 'competitions', access: 'anyone', summary: 'All competitions (open, upcoming, finished)',
    responses: { 200: { description: 'Competitions', schema: z.array(summarySchema) } },
    handler: async () => (await deps.competitions.list()).map((c) => summary(c)),
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug', tag: 'competitions', access: 'anyone',
    summary: 'A competition: overview, limits, upload limits, timeline, public files, rules; and, signed in, your quota and standing',
    description:
      'The run settings (runtime, runtimeImage, entrypoint, limits, layout, predictionsFile, localTest) are those of the phase a submission sent now goes to (`runsPhase`, the open one), ' +
      'or of `?phase=NAME`; the competition\'s own when no phase is open. Each of `phases` names its runtime and image too.',
    params: slugParams,
    query: z.object({ phase: z.string().min(1).max(200).optional().describe("a phase whose run settings to describe instead of the open phase's") }),
    handler: async (req, _reply, { params, query }) => {
      const c = await competitionOr404(deps, params.slug);
      const now = new Date();
      if (query.phase !== undefined && !c.config.phases.some((p) => p.name === query.phase)) {
        throw notFound(`phase "${query.phase}" of "${c.slug}" (its phases are ${c.config.phases.map((p) => `"${p.name}"`).join(', ')})`);
      }
      const runsPhase = query.phase ?? currentPhase(c.config.phases, now)?.name;
      // What the phase owns (runtime, limits, data...) in place of the competition's, as a worker runs it.
      const config = runsPhase === undefined ? c.config : phaseConfig(c.config, runsPhase);
      return {
        ...summary(c, now),
        runtime: config.runtime,
        runsPhase: runsPhase ?? null,
        description: config.description,
        entrypoint: formatCommand(config.entrypoint),
        limits: config.limits,
        limitsInWords: limitsInWords(config),
        // Published so that the web app and the CLI refuse a file before sending it.
        upload: { maxZipBytes: deps.config.maxUploadBytes, maxUnpackedBytes: deps.config.maxUnpackedBytes, maxFiles: deps.config.maxFiles },
        layout: config.layout,
        predictionsFile: config.predictionsFile,
        // null where the format cannot be read (the details still answer; init then falls back to the smoke sample's).
        // The described phase's format: a phase with data of its own may predict other columns.
        submissionFormat: await submissionColumns(deps, c, config).catch(() => null),
        // Debian packages the competition asks of its runtime (the host builds them into the image).
        packages: config.packages ?? [],
        predictionsFormat: config.predictionsFormat ?? 'csv',
        metric: config.scoring.primary,
        extraMetrics: config.scoring.extra,
        phases: c.config.phases.map((p) => {
          const own = phaseConfig(c.config, p.name);
          // Where a phase's hidden data lies in the bundle is as private as the competition's (never shown).
          const { own: phaseOwn, ...shown } = p;
          const { data: _hidden, ...shownOwn } = phaseOwn ?? {};
          return { ...shown, ...(Object.keys(shownOwn).length > 0 ? { own: shownOwn } : {}), state: p.start > now ? 'upcoming' : p.end && p.end <= now ? 'past' : 'open', runtime: own.runtime, runtimeImage: runtimeImageOf(own) };
        }),
        hasSmoke: config.data.smoke !== undefined,
        localTest: localTestKit(c.config, runsPhase),
        // What a participant pulls to test in the platform's exact runtime (holdout runtime pull), and the image ID it must have.
        runtimeImage: runtimeImageOf(config),
        finalSelections: finalSelectionsOf(config),
        bundleDigest: c.bundleDigest,
        updatedAt: c.updatedAt,
        files: await publicFiles(deps, c),
        privateRevealed: c.privateRevealed,
        rules: competitionRules(config),
        me: req.user ? await myStanding(deps, c, req.user, now) : null,
      };
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/competitions/:slug/rules', tag: 'competitions', access: 'user', summary: 'Accept the rules (needed before the first submission)',
    params: slugParams,
    responses: { 200: { description: 'Accepted', schema: z.object({ acceptedAt: z.string() }) } },
    handler: async (req, _reply, { params }) => {
      const user = requireUser(req);
      const c = await competitionOr404(deps, params.slug);
      await deps.roles.acceptRules(c.id, user.id);
      return { acceptedAt: (await deps.roles.acceptedRulesAt(c.id, user.id)) ?? '' };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/files/*', tag: 'competitions', access: 'anyone', summary: 'Download a public data file',
    params: z.object({ slug: z.string(), '*': z.string() }),
    description: 'With HOLDOUT_SIGNED_DOWNLOADS on a blob store that signs URLs (azure), the answer is a 302 to a read-only URL that expires in 15 minutes.',
    responses: { 200: { description: 'The file', contentType: 'application/octet-stream' }, 302: { description: 'Redirect to a signed URL of the blob store' } },
    handler: async (_req, reply, { params }) => {
      const c = await competitionOr404(deps, params.slug);
      const file = (await publicFiles(deps, c)).find((f) => f.path === params['*']);
      if (!file) throw notFound(`public file "${params['*']}"`);
      const key = `${c.bundleKey}/files/${file.path}`;
      return sendBlobDownload(deps, reply, { key, bytes: file.bytes, downloadName: path.basename(file.path), contentType: 'application/octet-stream' });
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/upload-limits', tag: 'hosting', access: 'anyone',
    summary: 'What this server accepts in one upload: a submission zip or a bundle zip',
    description: 'Clients check a file against these before sending it; the server refuses a larger body from its Content-Length, before reading it.',
    responses: { 200: { description: 'The limits', schema: z.object({ maxZipBytes: z.number(), maxUnpackedBytes: z.number(), maxFiles: z.number() }) } },
    handler: async () => ({ maxZipBytes: deps.config.maxUploadBytes, maxUnpackedBytes: deps.config.maxUnpackedBytes, maxFiles: deps.config.maxFiles }),
  });

  apiRoute(app, {
    method: 'POST', url: '/competitions', tag: 'hosting', access: 'host',
    summary: 'Create a competition from a bundle zip, or update one (same slug) keeping its submissions',
    description: 'Admins and users with the host role may create; only a host of the competition (or an admin) may update it. 422 lists every problem of the bundle in `details`.',
    upload: 'the bundle as a zip: competition.yaml and the data files',
    responses: { 201: { description: 'Created or updated', schema: summarySchema.extend({ created: z.boolean() }) } },
    handler: async (req, reply) => {
      const user = requireUser(req);
      requireHostRole(user);
      const upload = await receiveUpload(req, path.join(deps.config.dataDir, 'uploads'), deps.config.maxUploadBytes, 'the bundle zip');
      try {
        const { competition, created } = await installBundleZip(deps, user, upload.file);
        return reply.status(201).send({ ...summary(competition), created });
      } finally {
        await rm(upload.file, { force: true });
      }
    },
  });
};
