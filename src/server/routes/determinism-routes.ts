import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DeterminismCheckRow } from '../../db/schema.js';
import { defaultTolerance, type DeterminismResult } from '../../domain/determinism.js';
import { takesResults } from '../../domain/phases.js';
import { requireHost } from '../access.js';
import { apiRoute } from '../api-route.js';
import { HttpError, notFound } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';

const idParams = z.object({ id: z.string() });
const checkParams = z.object({ id: z.string(), checkId: z.string() });
const requestBody = z
  .object({
    tolerance: z.number().min(0).max(1).optional().describe(`Relative tolerance for numbers (absolute below 1): |a − b| ≤ tolerance × max(1, |a|, |b|). Default ${defaultTolerance}`),
  })
  .strict()
  .optional();

/** A check as the API shows it (to hosts and admins only). */
export function checkView(c: DeterminismCheckRow) {
  return {
    id: c.id,
    submissionId: c.submission_id,
    status: c.status,
    reason: c.reason,
    tolerance: c.tolerance,
    requestedAt: c.created_at,
    startedAt: c.started_at,
    finishedAt: c.finished_at,
    attempts: c.attempts,
    originalWorker: c.original_worker_id,
    worker: c.worker_id,
    /** True when it ran on the original worker because no other was available; null before it ran. */
    sameWorker: c.same_worker === null ? null : c.same_worker === 1,
    result: c.result_json ? (JSON.parse(c.result_json) as DeterminismResult) : null,
  };
}

/**
 * Determinism checks: a host runs a scored submission again (on another worker where one is
 * alive) and sees whether predictions and scores are the same. Never the participant's quota,
 * score or leaderboard; visible to the competition's hosts and admins only.
 */
export const determinismRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  async function hostedSubmission(req: FastifyRequest, id: string) {
    const s = await deps.submissions.get(id);
    const c = s && (await deps.competitions.byId(s.competition_id));
    if (!s || !c) throw notFound(`submission ${id}`);
    return { s, c, host: await requireHost(deps, req, c) };
  }

  apiRoute(app, {
    method: 'POST', url: '/submissions/:id/determinism-checks', tag: 'hosting', access: 'host',
    summary: 'Run a scored submission again and compare its predictions (row by row) and scores with the original',
    description: 'Queued at once (202); a worker other than the one that ran the original takes it where one is alive. `GET` the check to read its result. Uses no quota and changes no score.',
    params: idParams, body: requestBody,
    responses: { 202: { description: 'The check, queued' }, 403: { description: 'Not a host of the competition' }, 404: { description: 'No such submission' }, 409: { description: 'The submission is not scored, or takes results rather than code' } },
    handler: async (req, reply, { params, body }) => {
      const { s, c, host } = await hostedSubmission(req, params.id);
      if (s.status !== 'scored') throw new HttpError(409, `submission ${s.id} is ${s.status}; only a scored submission can be checked for determinism (there is nothing to compare with yet)`, 'not_scored');
      if (takesResults(c.config, s.phase)) throw new HttpError(409, `submission ${s.id} is a result submission (phase "${s.phase}" takes predictions, not code): there is no code to run again`, 'no_code');
      const attempts = await deps.submissions.attemptsOf(s.id);
      const original = attempts.filter((a) => a.outcome === 'scored').at(-1)?.worker_id ?? null;
      const check = await deps.checks.create({ submissionId: s.id, competitionId: c.id, requestedBy: host.id, tolerance: body?.tolerance ?? defaultTolerance, originalWorkerId: original });
      deps.worker?.wake();
      return reply.code(202).send(checkView(check));
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/submissions/:id/determinism-checks', tag: 'hosting', access: 'host',
    summary: "A submission's determinism checks, newest first: state (queued, running, identical, different, failed), reason, and the differences found",
    params: idParams,
    handler: async (req, _reply, { params }) => {
      const { s } = await hostedSubmission(req, params.id);
      return (await deps.checks.forSubmission(s.id)).map(checkView);
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/submissions/:id/determinism-checks/:checkId', tag: 'hosting', access: 'host',
    summary: 'One determinism check and its result',
    params: checkParams,
    handler: async (req, _reply, { params }) => {
      const { s } = await hostedSubmission(req, params.id);
      const check = await deps.checks.get(params.checkId);
      if (!check || check.submission_id !== s.id) throw notFound(`determinism check ${params.checkId} of submission ${s.id}`);
      return checkView(check);
    },
  });
};
