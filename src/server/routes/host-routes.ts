import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CarryRefusedError, carrySelections } from '../../app/carry-selections.js';
import { usageOf } from '../../db/submissions-repo.js';
import { prizeIneligibility } from '../../domain/resource-usage.js';
import { usageCsvColumns, usageCsvValues } from '../usage-csv.js';
import { mayHaveKeptPredictions, predictionsKey } from '../../domain/kept-predictions.js';
import { scoringLogKey } from '../../domain/scoring-log.js';
import { hostedCompetition, isHostOf, requireHost, requireUser } from '../access.js';
import { apiRoute } from '../api-route.js';
import { csvLines } from '../csv.js';
import { HttpError, notFound } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { slugParams } from './competition-routes.js';
import { submissionView } from './submission-routes.js';

const idParams = z.object({ id: z.string() });
const carryView = z.object({ phase: z.string(), from: z.string(), carried: z.number(), carriedAt: z.string() });

export const hostRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  /** The submission and its competition, for a host of that competition only. */
  async function hostedSubmission(req: Parameters<typeof requireUser>[0], id: string) {
    const s = await deps.submissions.get(id);
    const c = s && (await deps.competitions.byId(s.competition_id));
    if (!s || !c) throw notFound(`submission ${id}`);
    await requireHost(deps, req, c);
    return { s, c };
  }

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/host/submissions', tag: 'hosting', access: 'host', summary: 'Every submission of the competition, with who made it and all scores',
    description: '`rescorable`: the run may have kept predictions (scored, or its predictions were refused), so a re-score is worth offering.',
    params: slugParams,
    handler: async (req, _reply, { params }) => {
      const { c } = await hostedCompetition(deps, req, params.slug);
      const rows = await deps.hostSubmissions.forCompetition(c.id);
      return rows.map((s) => ({ ...submissionView(s, { showPrivate: true, config: c.config }), userId: s.user_id, team: s.team_name, workerId: s.lease_owner, rescorable: mayHaveKeptPredictions(s.status, s.reason) }));
    },
  });

  /*
   * Doing a finished submission again: a re-run runs the code from the start (new log, new time);
   * a re-score scores the predictions its run wrote against the current labels or scorer (the
   * code does not run; its time, exit code and log are kept; without kept predictions it runs).
   * Both keep the quota slot. The repository picks which submissions qualify.
   */
  const again = [
    {
      verb: 'rerun', done: 're-run', qualifies: 'finished',
      requeue: (competitionId: string, ids?: string[]) => deps.hostSubmissions.requeue(competitionId, ids),
      one: 'Run a finished submission again (which also re-scores it)',
      all: 'Run every finished full submission again (e.g. after changing the test features)',
    },
    {
      verb: 'rescore', done: 're-scored', qualifies: 'scored or failed',
      requeue: (competitionId: string, ids?: string[]) => deps.hostSubmissions.requeueForRescore(competitionId, ids),
      one: 'Score a finished submission again from the predictions its run wrote',
      all: 'Score every finished full submission again (e.g. after fixing the labels)',
    },
  ] as const;
  for (const a of again) {
    apiRoute(app, {
      method: 'POST', url: `/submissions/:id/${a.verb}`, tag: 'hosting', access: 'host', summary: a.one,
      params: idParams,
      handler: async (req, _reply, { params }) => {
        const { s, c } = await hostedSubmission(req, params.id);
        // Without kept predictions the worker would run the code again: say so instead of doing it unasked.
        if (a.verb === 'rescore' && (s.status === 'scored' || s.status === 'failed') && !(await deps.blobs.stat(predictionsKey(s.id))))
          throw new HttpError(409, `submission ${s.id} has no kept predictions to score again (its run wrote none${s.reason ? `: ${s.reason.replace(/_/g, ' ')}` : ''}); re-run it instead`, 'no_predictions');
        const requeued = await a.requeue(c.id, [s.id]);
        if (requeued === 0) throw new HttpError(409, `submission ${s.id} is ${s.status}; only a ${a.qualifies} submission can be ${a.done}`);
        deps.worker?.wake();
        return { requeued };
      },
    });
    apiRoute(app, {
      method: 'POST', url: `/competitions/:slug/${a.verb}`, tag: 'hosting', access: 'host', summary: a.all,
      params: slugParams,
      handler: async (req, _reply, { params }) => {
        const { c } = await hostedCompetition(deps, req, params.slug);
        const requeued = await a.requeue(c.id);
        deps.worker?.wake();
        return { requeued };
      },
    });
  }

  apiRoute(app, {
    method: 'POST', url: '/competitions/:slug/phases/:phase/carry', tag: 'hosting', access: 'host',
    summary: "Carry the previous phase's selected submissions into this phase now (re-run on its data)",
    description:
      "For a phase with `carry_selections: true`, once the phase before it has ended. Each entrant's selected scored submissions of that phase (without a selection: its best `finalSelections` by public score) are queued again in this phase, naming their origin in `carriedFrom`; they use no quota. Done once per phase: the server also does it by itself within a minute of the phase opening, and a later call answers 200 with that first carry's record (201 when this call did it).",
    params: z.object({ slug: z.string(), phase: z.string() }),
    responses: {
      201: { description: 'Carried now', schema: carryView },
      200: { description: 'Carried before; nothing was queued again', schema: carryView },
      409: { description: 'The phase does not carry selections, is the first, or the phase before it is still open' },
    },
    handler: async (req, reply, { params }) => {
      const { c } = await hostedCompetition(deps, req, params.slug);
      if (!c.config.phases.some((p) => p.name === params.phase)) throw notFound(`phase "${params.phase}" of "${c.slug}"`);
      try {
        const carry = await carrySelections(deps.db, c, params.phase);
        if (carry.fresh) deps.worker?.wake();
        return reply.status(carry.fresh ? 201 : 200).send({ phase: carry.phase, from: carry.fromPhase, carried: carry.carried, carriedAt: carry.carriedAt });
      } catch (err) {
        if (err instanceof CarryRefusedError) throw new HttpError(409, err.message, 'not_carryable');
        throw err;
      }
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/submissions/:id/scoring-log', tag: 'hosting', access: 'host', summary: "The end of a failed scoring program's log",
    description: "Kept when the competition's scoring program crashed or wrote no valid scores file (reason scoring_error). The program may print what it read, labels included, so only the competition's hosts and admins read it; for anyone else the submission does not exist (404).",
    params: idParams,
    responses: { 200: { description: "The scoring program's log, or its end", contentType: 'text/plain' }, 404: { description: 'No such submission for this user, or no scoring log kept for it' } },
    handler: async (req, reply, { params }) => {
      const user = requireUser(req);
      const s = await deps.submissions.get(params.id);
      const c = s && (await deps.competitions.byId(s.competition_id));
      // Not 403: a participant must not learn that a submission exists, nor that its scorer failed.
      if (!s || !c || !(await isHostOf(deps, user, c))) throw notFound(`submission ${params.id}`);
      const key = scoringLogKey(s.id);
      if ((await deps.blobs.stat(key)) === undefined) throw new HttpError(404, `submission ${s.id} has no scoring program log (its scoring program has not failed)`, 'not_found');
      return reply.type('text/plain; charset=utf-8').send(await deps.blobs.get(key));
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/submissions/:id/cancel', tag: 'hosting', access: 'host', summary: 'Cancel a queued or running submission (its quota slot is freed)',
    params: idParams,
    handler: async (req, _reply, { params }) => {
      const { s } = await hostedSubmission(req, params.id);
      if (!(await deps.hostSubmissions.cancel(s.id, 'cancelled by a host'))) throw new HttpError(409, `submission ${s.id} is ${s.status} already`);
      // A run of this process stops now; one elsewhere stops when its heartbeat finds the row cancelled.
      deps.worker?.cancel(s.id);
      return { id: s.id, status: 'cancelled' };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/disqualifications', tag: 'hosting', access: 'host', summary: 'Disqualified participants',
    params: slugParams,
    handler: async (req, _reply, { params }) => {
      const { c } = await hostedCompetition(deps, req, params.slug);
      return deps.roles.disqualified(c.id);
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/competitions/:slug/disqualifications', tag: 'hosting', access: 'host',
    summary: 'Disqualify a participant: off the leaderboards (with their team), no more submissions',
    params: slugParams, body: z.object({ username: z.string(), reason: z.string().trim().min(3).max(500) }),
    handler: async (req, reply, { params, body }) => {
      const { c, host } = await hostedCompetition(deps, req, params.slug);
      const user = await deps.users.byName(body.username);
      if (!user) throw notFound(`user "${body.username}"`);
      await deps.roles.disqualify(c.id, user.id, body.reason, host.id);
      return reply.status(201).send({ username: user.username, reason: body.reason });
    },
  });

  apiRoute(app, {
    method: 'DELETE', url: '/competitions/:slug/disqualifications/:username', tag: 'hosting', access: 'host', summary: 'Lift a disqualification',
    params: z.object({ slug: z.string(), username: z.string() }),
    responses: { 204: { description: 'Lifted' } },
    handler: async (req, reply, { params }) => {
      const { c } = await hostedCompetition(deps, req, params.slug);
      const user = await deps.users.byName(params.username);
      if (!user || !(await deps.roles.reinstate(c.id, user.id))) throw notFound(`disqualification of "${params.username}"`);
      return reply.status(204).send();
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/queue', tag: 'hosting', access: 'host',
    summary: 'What is queued and running (where, since when), and the workers alive; a host sees their competitions, an admin all',
    handler: async (req) => {
      const user = requireUser(req);
      const hosted = user.role === 'admin' ? undefined : new Set((await deps.roles.hostedBy()).get(user.id) ?? []);
      if (hosted && hosted.size === 0) throw new HttpError(403, 'only hosts and admins see the queue');
      const active = (await deps.hostSubmissions.active()).filter((r) => !hosted || hosted.has(r.slug));
      // Every worker registers, the in-process one too: a silent one past a lease is lost, not listed.
      const workers = (await deps.workers.list(deps.config.leaseMs)).filter((w) => w.alive);
      return {
        queued: active.filter((r) => r.status === 'queued').map((r) => ({ id: r.id, competition: r.slug, username: r.username, kind: r.kind, since: r.created_at })),
        running: active.filter((r) => r.status !== 'queued').map((r) => ({ id: r.id, competition: r.slug, username: r.username, kind: r.kind, status: r.status, worker: r.lease_owner, since: r.started_at, attempt: r.attempts })),
        workers: workers.map((w) => ({ id: w.id, hostname: w.hostname, startedAt: w.startedAt, seenAt: w.seenAt, capacity: w.capacity, running: w.running, draining: w.draining })),
      };
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/scores.csv', tag: 'hosting', access: 'host', summary: 'Every submission with its public and private scores, as CSV',
    params: slugParams,
    responses: { 200: { description: 'CSV', contentType: 'text/csv' } },
    handler: async (req, reply, { params }) => {
      const { c } = await hostedCompetition(deps, req, params.slug);
      const metrics = [c.config.scoring.primary.metric, ...c.config.scoring.extra.map((m) => m.metric)];
      const rows = await deps.hostSubmissions.forCompetition(c.id);
      const parse = (j: string | null) => (j ? (JSON.parse(j) as Record<string, number>) : {});
      const csv = csvLines(
        [
          'submission_id', 'username', 'team', 'kind', 'phase', 'status', 'reason', 'created_at', 'run_ms', ...usageCsvColumns, 'prize_eligible', 'selected',
          ...metrics.map((m) => `public_${m}`), ...metrics.map((m) => `private_${m}`),
        ],
        rows.map((s) => {
          const usage = usageOf(s);
          return [
            s.id, s.username, s.team_name, s.kind, s.phase, s.status, s.reason, s.created_at, s.run_ms, ...usageCsvValues(usage),
            c.config.prizeLimits && usage ? prizeIneligibility(usage, c.config.prizeLimits).length === 0 : '', s.selected,
            ...metrics.map((m) => parse(s.public_scores)[m]), ...metrics.map((m) => parse(s.private_scores)[m]),
          ];
        }),
      );
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${c.slug}-scores.csv"`).send(csv);
    },
  });
};
