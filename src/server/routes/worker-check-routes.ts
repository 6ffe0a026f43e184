import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { DeterminismCheckRow } from '../../db/schema.js';
import type { WorkerToken } from '../../db/worker-tokens-repo.js';
import { maxListedDifferences } from '../../domain/determinism.js';
import { apiRoute } from '../api-route.js';
import { HttpError, notFound } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { leaseOf, ownerOf, requireWorkerToken, servedCompetitionIds } from '../worker-auth.js';
import { leaseBody, leaseMs, workerId } from './worker-routes.js';

// Hosts' determinism checks for outbound-only workers: the same DeterminismChecksRepo calls a
// database worker makes, under the worker's lease, within its token's competitions.

const idParams = z.object({ id: z.string() });
const ok = { 200: { description: 'Done', schema: z.object({ ok: z.literal(true) }) }, 409: { description: 'The worker does not hold this attempt of the check (lease_not_held): nothing was recorded' } };
const text = z.string().max(10_000);
const cells = z.array(z.string().max(10_000)).max(10_000);
const result = z.object({
  tolerance: z.number().min(0),
  rerun: z.object({ status: z.enum(['scored', 'failed']), reason: text.nullable(), message: text.nullable(), runMs: z.number().min(0).nullable() }),
  predictions: z.discriminatedUnion('compared', [
    z.object({
      compared: z.literal(true),
      rows: z.number().int().min(0),
      differingRows: z.number().int().min(0),
      missingRows: z.number().int().min(0),
      extraRows: z.number().int().min(0),
      columns: z.object({ original: cells, rerun: cells }).optional(),
      differences: z.array(z.object({ row: text, column: text, original: text, rerun: text })).max(maxListedDifferences),
    }),
    z.object({ compared: z.literal(false), why: text }),
  ]),
  scores: z.array(z.object({ part: z.enum(['public', 'private']), metric: z.string().max(200), original: z.number().nullable(), rerun: z.number().nullable(), agree: z.boolean() })).max(1000),
  provenanceChanges: z.array(text).max(100),
});

/** The check, if its competition is in the token's scope: 404 when missing, 403 when another competition's. */
async function scopedCheck(deps: ServerDeps, token: WorkerToken, id: string): Promise<DeterminismCheckRow> {
  const check = await deps.checks.get(id);
  if (!check) throw notFound(`determinism check ${id}`);
  if (!token.competitionIds.includes(check.competition_id)) throw new HttpError(403, `worker token "${token.name}" does not serve the competition of determinism check ${id}`, 'out_of_scope');
  return check;
}

const checkNotHeld = (check: DeterminismCheckRow, attempt: number, worker: string) =>
  new HttpError(409, `worker ${worker} does not hold determinism check ${check.id} (attempt ${attempt}): it is ${check.status}, so another worker took it over or it has ended; nothing was recorded`, 'lease_not_held');

export const workerCheckRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'POST', url: '/worker/checks/claim', tag: 'workers', access: 'worker', summary: "Claim the next determinism check of the token's competitions",
    description: 'Called when no submission waits. `check` is null when none waits; `submission` is the scored submission it runs again.',
    body: z.object({ workerId, leaseMs, competitions: z.array(z.string()).optional().describe("slugs: serve only these of the token's competitions") }),
    handler: async (req, _reply, { body }) => {
      const token = await requireWorkerToken(deps, req);
      const ids = await servedCompetitionIds(deps, token, body.competitions);
      // Workers seen within a lease count as alive: a check avoids its original worker while one is.
      const check = await deps.checks.claim(ownerOf(token, body.workerId), body.leaseMs, body.leaseMs, ids);
      if (!check) return { check: null, submission: null };
      const submission = (await deps.submissions.get(check.submission_id)) ?? null;
      return { check: { ...check, lease_owner: body.workerId }, submission };
    },
  });

  /** One lease operation on a check: scope, then the repository's own check of owner + attempt. */
  const leaseRoute = <B extends z.ZodType<{ workerId: string; attempt: number }>>(url: string, summary: string, body: B, write: (id: string, lease: ReturnType<typeof leaseOf>, body: z.infer<B>) => Promise<boolean>) =>
    apiRoute(app, {
      method: 'POST', url: `/worker/checks/:id/${url}`, tag: 'workers', access: 'worker', summary, params: idParams, body, responses: ok,
      handler: async (req, _reply, { params, body: input }) => {
        const token = await requireWorkerToken(deps, req);
        const check = await scopedCheck(deps, token, params.id);
        if (!(await write(check.id, leaseOf(token, input), input))) throw checkNotHeld((await deps.checks.get(check.id)) ?? check, input.attempt, input.workerId);
        return { ok: true as const };
      },
    });

  leaseRoute('renew', "Extend the lease of a determinism check this worker holds", leaseBody.extend({ leaseMs }), (id, lease, b) => deps.checks.renew(id, lease, b.leaseMs));
  leaseRoute(
    'finish', 'Record what a determinism check found (identical, different) or that it failed on the platform',
    leaseBody.extend({ status: z.enum(['identical', 'different', 'failed']), reason: text, result: result.nullable() }),
    (id, lease, b) => deps.checks.finish(id, lease, b.status, b.reason, b.result),
  );
  leaseRoute('requeue', 'Give a determinism check back to the queue (the worker drains, or the platform failed)', leaseBody.extend({ reason: text.nullable() }), (id, lease, b) => deps.checks.requeue(id, lease, b.reason));
};
