import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { failureReasons } from '../../domain/submission.js';
import { apiRoute } from '../api-route.js';
import { HttpError, notFound } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { leaseNotHeld, leaseOf, ownerOf, requireWorkerToken, scopedSubmission, servedCompetitionIds } from '../worker-auth.js';

// The worker API: what `holdout worker --server URL --token T` does instead of opening the
// database. The server calls the very repository functions a database worker calls, with the
// worker's lease (owner + attempt), so leases, retries and exactly-once recording are the same
// code for both kinds of worker (and the claim order, fair share included, is the repository's).

export const workerId = z.string().regex(/^[\w.-]{1,100}$/, 'a worker id: letters, digits, ".", "_" or "-"');
export const leaseBody = z.object({ workerId, attempt: z.number().int().min(1) });
export const leaseMs = z.number().int().min(1000).max(600_000);
const scores = z.record(z.string(), z.number()).nullable().optional();
const nullableNumber = z.number().nullable().optional();
const resultSchema = z.object({
  status: z.enum(['scored', 'failed', 'cancelled']),
  reason: z.enum(failureReasons).nullable().optional(),
  message: z.string().max(10_000).nullable().optional(),
  runMs: nullableNumber,
  exitCode: nullableNumber,
  publicScores: scores,
  privateScores: scores,
  publicPrimary: nullableNumber,
  privatePrimary: nullableNumber,
  logKey: z.string().nullable().optional(),
  logBytes: nullableNumber,
  logTruncated: z.boolean().optional(),
  runtime: z.object({ name: z.string(), digest: z.string().nullable(), image: z.string().nullable().optional() }).optional(),
  usage: z
    .object({
      wallMs: z.number().min(0),
      cpuMs: z.number().min(0).optional(),
      peakMemoryBytes: z.number().min(0).optional(),
      gpuMs: z.number().min(0).optional(),
      gpuEstimated: z.boolean().optional(),
      peakGpuMemoryBytes: z.number().min(0).optional(),
    })
    .optional(),
  provenance: z.object({ testDataDigest: z.string().max(200).nullable(), bundleDigest: z.string().max(200), scorerVersion: z.string().max(200) }).optional(),
});
const ok = { 200: { description: 'Done', schema: z.object({ ok: z.literal(true) }) }, 409: { description: 'The worker does not hold this attempt (lease_not_held): nothing was recorded' } };
const idParams = z.object({ id: z.string() });
const advert = z.object({
  id: workerId,
  hostname: z.string().max(255),
  capacity: z.number().int().min(0),
  cpus: z.number().min(0),
  memoryBytes: z.number().min(0),
  gpus: z.number().int().min(0),
  executors: z.array(z.string().max(50)).max(10),
  runtimes: z.array(z.string().max(200)).max(100).optional(),
});

export const workerRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'POST', url: '/worker/claim', tag: 'workers', access: 'worker', summary: 'Claim the next submission this worker can run',
    description: 'Claims among the token\'s competitions (or the subset named) whatever fits what the worker has free, with a lease of `leaseMs`; `submission` is null when none waits.',
    body: z.object({
      workerId,
      leaseMs,
      free: z.object({ cpus: z.number().min(0), memoryBytes: z.number().min(0), gpus: z.number().int().min(0) }).optional(),
      runtimes: z.array(z.string()).optional(),
      harness: z.boolean().optional().describe("false: the worker's executor cannot mount a host's harness (kubernetes), so competitions with one are left to other workers"),
      competitions: z.array(z.string()).optional().describe('slugs: serve only these of the token\'s competitions'),
    }),
    handler: async (req, _reply, { body }) => {
      const token = await requireWorkerToken(deps, req);
      const ids = await servedCompetitionIds(deps, token, body.competitions);
      const row = await deps.submissions.claim(ownerOf(token, body.workerId), body.leaseMs, {
        ...(body.free ? { free: body.free } : {}),
        ...(body.runtimes ? { runtimes: body.runtimes } : {}),
        ...(body.harness === false ? { harness: false } : {}),
        competitions: ids,
      });
      // The worker sees its own id as the owner, as a database worker would.
      return { submission: row ? { ...row, lease_owner: body.workerId } : null };
    },
  });

  /** One lease operation: scope, then the repository's own check of owner + attempt. */
  const leaseRoute = <B extends z.ZodType<{ workerId: string; attempt: number }>>(url: string, summary: string, body: B, write: (id: string, lease: ReturnType<typeof leaseOf>, body: z.infer<B>) => Promise<boolean>) =>
    apiRoute(app, {
      method: 'POST', url: `/worker/submissions/:id/${url}`, tag: 'workers', access: 'worker', summary, params: idParams, body, responses: ok,
      handler: async (req, _reply, { params, body: input }) => {
        const token = await requireWorkerToken(deps, req);
        const s = await scopedSubmission(deps, token, params.id);
        const lease = leaseOf(token, input);
        if (!(await write(s.id, lease, input))) throw leaseNotHeld((await deps.submissions.get(s.id)) ?? s, lease);
        return { ok: true as const };
      },
    });

  leaseRoute('renew', 'Extend the lease of a run in progress', leaseBody.extend({ leaseMs }), (id, lease, b) => deps.submissions.renewLease(id, lease, b.leaseMs));
  leaseRoute('scoring', 'Mark a held submission as scoring', leaseBody, (id, lease) => deps.submissions.markScoring(id, lease));
  leaseRoute('requeue', 'Queue a held submission again after an infrastructure failure', leaseBody.extend({ message: z.string().max(2000) }), (id, lease, b) => deps.submissions.requeue(id, lease, b.message));
  leaseRoute('hand-back', 'Give a held submission back uncounted (the worker is draining)', leaseBody.extend({ message: z.string().max(2000).optional() }), (id, lease, b) => deps.submissions.handBack(id, lease, ...(b.message ? [b.message] : [])));
  leaseRoute('finish', 'Record the result of a held attempt (exactly once: a second report is refused)', leaseBody.extend({ result: resultSchema }), (id, lease, b) => {
    // The log key is the submission's own, so a worker cannot point a result at another blob.
    if (b.result.logKey != null && b.result.logKey !== `logs/${id}.txt`) throw new HttpError(400, `logKey must be logs/${id}.txt (the submission's own log)`);
    return deps.submissions.finish(id, lease, b.result);
  });

  apiRoute(app, {
    method: 'GET', url: '/worker/competitions/:id', tag: 'workers', access: 'worker', summary: 'A competition this worker serves (its configuration and bundle)',
    params: idParams,
    handler: async (req, _reply, { params }) => {
      const token = await requireWorkerToken(deps, req);
      if (!token.competitionIds.includes(params.id)) throw new HttpError(403, `worker token "${token.name}" does not serve competition ${params.id}`, 'out_of_scope');
      const c = await deps.competitions.byId(params.id);
      if (!c) throw notFound(`competition ${params.id}`);
      return { ...c, config: JSON.parse(JSON.stringify(c.config)) as unknown };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/worker/bundle-keys', tag: 'workers', access: 'worker', summary: 'Bundles of the competitions this worker serves (what its cache keeps)',
    handler: async (req) => {
      const token = await requireWorkerToken(deps, req);
      const all = await Promise.all(token.competitionIds.map((id) => deps.competitions.byId(id)));
      return { keys: all.flatMap((c) => (c ? [c.bundleKey] : [])) };
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/worker/heartbeat', tag: 'workers', access: 'worker', summary: 'Register the worker or record its heartbeat (the queue page lists it)',
    body: z.object({ advert, state: z.object({ running: z.number().int().min(0), draining: z.boolean() }) }),
    handler: async (req, _reply, { body }) => {
      const token = await requireWorkerToken(deps, req);
      await deps.workers.heartbeat({ ...body.advert, id: ownerOf(token, body.advert.id) }, body.state);
      return { ok: true as const };
    },
  });

  apiRoute(app, {
    method: 'DELETE', url: '/worker/workers/:id', tag: 'workers', access: 'worker', summary: 'Deregister a worker of this token',
    params: z.object({ id: workerId }),
    handler: async (req, reply, { params }) => {
      const token = await requireWorkerToken(deps, req);
      await deps.workers.deregister(ownerOf(token, params.id));
      return reply.status(204).send();
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/worker/workers', tag: 'workers', access: 'worker', summary: 'The workers of this token (for the sweep of their scratch folders)',
    query: z.object({ lostAfterMs: z.coerce.number().int().min(1) }),
    handler: async (req, _reply, { query }) => {
      const token = await requireWorkerToken(deps, req);
      const prefix = `${token.id}/`;
      const mine = (await deps.workers.list(query.lostAfterMs)).filter((w) => w.id.startsWith(prefix));
      return { workers: mine.map((w) => ({ ...w, id: w.id.slice(prefix.length) })) };
    },
  });
};
