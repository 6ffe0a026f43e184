import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { isZip } from '../../archive/is-zip.js';
import { ArchiveError, checkEntryPoint, extractZip } from '../../archive/safe-unzip.js';
import { QuotaExceededError } from '../../db/db-errors.js';
import type { SubmissionRow } from '../../db/schema.js';
import { usageOf } from '../../db/submissions-repo.js';
import { finalSelectionsOf } from '../../domain/competition.js';
import { phaseConfig } from '../../domain/phases.js';
import { logTail, logVisibility } from '../../domain/log-visibility.js';
import { failureAdvice } from '../../domain/submission.js';
import type { CompetitionConfig } from '../../domain/competition.js';
import { competitionOr404, isHostOf, requireUser, visibleSubmission } from '../access.js';
import { entryFile } from '../../domain/entry-file.js';
import { apiRoute } from '../api-route.js';
import { sendBlobDownload } from '../blob-download.js';
import { HttpError } from '../http-error.js';
import { receiveUpload } from '../receive-upload.js';
import { admitSubmission, queuedRow } from './submission-admission.js';
import type { ServerDeps } from '../server-deps.js';
import { slugParams } from './competition-routes.js';

const parseScores = (json: string | null) => (json ? (JSON.parse(json) as Record<string, number>) : null);

/** A submission as its owner sees it. Private scores only once revealed (or for a host). */
export function submissionView(s: SubmissionRow & { username?: string }, opts: { showPrivate: boolean; config: Pick<CompetitionConfig, 'logs' | 'data'> }) {
  return {
    id: s.id,
    kind: s.kind,
    phase: s.phase,
    status: s.status,
    reason: s.reason,
    message: s.message,
    advice: s.reason ? failureAdvice(s.reason, s.kind, { ...(opts.config.logs ? { logs: opts.config.logs } : {}), hasSmoke: opts.config.data.smoke !== undefined }) : null,
    createdAt: s.created_at,
    startedAt: s.started_at,
    finishedAt: s.finished_at,
    runMs: s.run_ms,
    /** CPU time, peak memory, GPU time of the run (fields absent where not measured); null before it ran. */
    usage: usageOf(s) ?? null,
    exitCode: s.exit_code,
    zipBytes: Number(s.zip_bytes),
    publicScore: s.public_primary,
    publicScores: parseScores(s.public_scores),
    ...(opts.showPrivate ? { privateScore: s.private_primary, privateScores: parseScores(s.private_scores) } : {}),
    logBytes: s.log_bytes === null ? null : Number(s.log_bytes),
    logTruncated: s.log_truncated === 1,
    attempts: s.attempts,
    runtime: s.runtime === null ? null : { name: s.runtime, digest: s.runtime_digest },
    /** What a score traces to: the zip, the runtime, the test data, the bundle and Holdout's scoring code. */
    provenance: {
      zipSha256: s.zip_sha256,
      runtimeDigest: s.runtime_digest,
      testDataDigest: s.test_data_digest,
      bundleDigest: s.bundle_digest,
      scorerVersion: s.scorer_version,
    },
    selected: s.selected === 1,
    /** The submission of the previous phase this one re-runs on its phase's data; null for an upload. */
    carriedFrom: s.carried_from,
    ...(s.username !== undefined ? { username: s.username } : {}),
  };
}

const idParams = z.object({ id: z.string() });

export const submissionRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'POST', url: '/competitions/:slug/submissions', tag: 'submissions', access: 'user',
    summary: 'Submit a submission.zip (full run, or smoke test on the public sample)',
    description: 'Refused with 403 until the rules are accepted (POST /api/competitions/{slug}/rules), 409 outside a phase, 429 past the daily quota (a team shares one), with Retry-After and `details.resetsAt`: the next midnight UTC.',
    params: slugParams,
    query: z.object({ kind: z.enum(['full', 'smoke']).default('full').describe('smoke: a run on the public sample with full logs; has its own quota') }),
    upload: 'submission.zip: the code (with the entry point) and model files',
    responses: { 201: { description: 'Queued' } },
    handler: async (req, reply, { params, query }) => {
      const user = requireUser(req);
      const c = await competitionOr404(deps, params.slug);
      const { kind } = query;
      const now = new Date();
      const admission = await admitSubmission(deps, user, c, kind, reply, now);
      const { phase, results } = admission;

      const uploads = path.join(deps.config.dataDir, 'uploads');
      const upload = await receiveUpload(req, uploads, deps.config.maxUploadBytes, 'submission.zip');
      await mkdir(uploads, { recursive: true });
      const unpacked = await mkdtemp(path.join(uploads, 'check-'));
      const id = randomUUID();
      const zipKey = `submissions/${c.slug}/${id}.zip`;
      try {
        // A result submission may be the predictions file itself; a zip is unpacked either way.
        if (!results || (await isZip(upload.file))) {
          // Unpacking for real (not just reading the directory) also catches archives that lie about sizes.
          const entries = await extractZip(upload.file, unpacked, { maxBytes: deps.config.maxUnpackedBytes, maxFiles: deps.config.maxFiles });
          const entry = results ? undefined : entryFile(phaseConfig(c.config, phase.name).entrypoint);
          if (entry) checkEntryPoint(entries, entry);
        }
        await deps.blobs.put(zipKey, createReadStream(upload.file));
        const row = await deps.quota.insertWithinQuota(queuedRow(id, c, user, kind, admission, { key: zipKey, bytes: upload.bytes, sha256: upload.sha256 }, now), admission.owner, admission.phase.dailyQuota);
        // The daily slot is atomic; the phase's total is re-counted after the insert, and a racing extra one taken back.
        if (await admission.overTotal()) {
          await deps.submissions.deleteRow(row.id);
          throw admission.totalError();
        }
        deps.worker?.wake();
        // How much of its log the submitter will read, so the page offers no button that would be refused.
        const logs = (await isHostOf(deps, user, c)) ? 'full' : logVisibility(phaseConfig(c.config, phase.name).logs, kind);
        return reply.status(201).send({ ...submissionView(row, { showPrivate: false, config: c.config }), logs });
      } catch (err) {
        await deps.blobs.delete(zipKey);
        if (err instanceof ArchiveError) throw new HttpError(400, `${results ? 'the results zip' : 'submission.zip'}: ${err.message}`, 'invalid_archive');
        if (err instanceof QuotaExceededError) throw admission.quotaError();
        throw err;
      } finally {
        await rm(unpacked, { recursive: true, force: true });
        await rm(upload.file, { force: true });
      }
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/submissions', tag: 'submissions', access: 'user', summary: "My submissions (my team's, when in a team), newest first",
    params: slugParams,
    handler: async (req, _reply, { params }) => {
      const user = requireUser(req);
      const c = await competitionOr404(deps, params.slug);
      const rows = await deps.hostSubmissions.forUsers(c.id, await deps.teams.entrantUserIds(c.id, user.id));
      const showPrivate = c.privateRevealed || (await isHostOf(deps, user, c));
      return rows.map((s) => submissionView(s, { showPrivate, config: c.config }));
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/submissions/:id', tag: 'submissions', access: 'owner', summary: 'One submission: status, reason and advice, scores, who made it, its competition and how much of its log you may read (`logs`)',
    params: idParams,
    handler: async (req, _reply, { params }) => {
      const { s, c, host } = await visibleSubmission(deps, req, params.id);
      const [author, team] = await Promise.all([deps.users.byId(s.user_id), deps.teams.teamOf(c.id, s.user_id)]);
      return {
        ...submissionView(s, { showPrivate: c.privateRevealed || host, config: c.config }),
        username: author?.username ?? '',
        team: team?.name ?? null,
        competition: { slug: c.slug, title: c.config.title },
        // What GET /submissions/:id/logs will give this reader, so a page offers only what it can show.
        logs: host ? 'full' : logVisibility(phaseConfig(c.config, s.phase).logs, s.kind),
      };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/submissions/:id/logs', tag: 'submissions', access: 'owner', summary: "The run's log (stdout and stderr, capped)",
    description: "As much as the competition's `logs` setting shows participants: by default all of a smoke run's, and none of a full run's (403). Hosts read every log.",
    params: idParams,
    responses: { 200: { description: 'The log, or its last lines', contentType: 'text/plain' } },
    handler: async (req, reply, { params }) => {
      const { s, c, host } = await visibleSubmission(deps, req, params.id);
      const visibility = host ? 'full' : logVisibility(phaseConfig(c.config, s.phase).logs, s.kind);
      if (visibility === 'reason-only') {
        throw new HttpError(403, `"${c.config.title}" does not show the logs of ${s.kind} runs, which can leak test data; the status gives the reason and message`, 'logs_withheld');
      }
      if (!s.log_key) throw new HttpError(404, `the log of submission ${s.id} does not exist yet (it has not run)`, 'not_found');
      reply.header('content-type', 'text/plain; charset=utf-8');
      if (visibility === 'tail') return reply.send(logTail(await buffer(await deps.blobs.get(s.log_key))));
      return reply.send(await deps.blobs.get(s.log_key));
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/submissions/:id/code', tag: 'submissions', access: 'owner', summary: 'The submission.zip as uploaded',
    description: "For its participant and their team (which code was that?) and the competition's hosts (reading or re-running winners' code). With HOLDOUT_SIGNED_DOWNLOADS on a blob store that signs URLs (azure), a 302 to a read-only URL that expires in 15 minutes.",
    params: idParams,
    responses: { 200: { description: 'The zip', contentType: 'application/zip' }, 302: { description: 'Redirect to a signed URL of the blob store' } },
    handler: async (req, reply, { params }) => {
      const { s, c } = await visibleSubmission(deps, req, params.id);
      const downloadName = `${c.slug}-${s.id.slice(0, 8)}.zip`;
      return sendBlobDownload(deps, reply, { key: s.zip_key, bytes: Number(s.zip_bytes), downloadName, contentType: 'application/zip' });
    },
  });

  apiRoute(app, {
    method: 'PUT', url: '/submissions/:id/selection', tag: 'submissions', access: 'owner',
    summary: 'Choose whether a scored full run counts for the final (private) ranking',
    description: "Up to the competition's `finalSelections` (2 unless its bundle says `final_selections`) per participant or team; with none chosen, the best public ones count.",
    params: idParams, body: z.object({ selected: z.boolean() }),
    handler: async (req, _reply, { params, body }) => {
      const user = requireUser(req);
      const { s, c } = await visibleSubmission(deps, req, params.id);
      const ids = await deps.teams.entrantUserIds(c.id, user.id);
      if (!ids.includes(s.user_id)) throw new HttpError(403, 'only the participant (or their team) chooses their final submissions');
      if (body.selected && (s.kind !== 'full' || s.status !== 'scored')) throw new HttpError(409, 'only a scored full run can count for the final ranking');
      // Carried into the next phase already: a change now would count for nothing there.
      const carried = await deps.carries.carriedFrom(c.id, s.phase);
      if (carried) throw new HttpError(409, `the selections of phase "${s.phase}" were carried into phase "${carried.phase}" at ${carried.carriedAt}; they can no longer change`, 'selections_carried');
      if (body.selected && s.selected !== 1) {
        // Each phase has selections of its own (a phase with its own data ranks on its own).
        const chosen = (await deps.hostSubmissions.forUsers(c.id, ids)).filter((x) => x.selected === 1 && x.phase === s.phase).length;
        if (chosen >= finalSelectionsOf(c.config))
          throw new HttpError(409, `you have chosen ${chosen} already, the most that count; unselect one first`, 'too_many_selected');
      }
      await deps.hostSubmissions.setSelected(s.id, body.selected);
      return { id: s.id, selected: body.selected };
    },
  });
};
