import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { StoredCompetition } from '../../db/competitions-repo.js';
import type { AttributedSubmission } from '../../db/host-submissions-repo.js';
import { usageOf } from '../../db/submissions-repo.js';
import { finalSelectionsOf } from '../../domain/competition.js';
import { prizeIneligibility, resourceColumnField } from '../../domain/resource-usage.js';
import { rankLeaderboard, sharedRanks } from '../../domain/leaderboard.js';
import { bestScoreHistory, finalCandidates } from '../../domain/score-history.js';
import { competitionOr404, hostedCompetition, isHostOf } from '../access.js';
import { apiRoute } from '../api-route.js';
import { csvLines } from '../csv.js';
import { HttpError } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { slugParams } from './competition-routes.js';

const partQuery = z.object({
  part: z.enum(['public', 'private']).default('public').describe('private: once revealed, or for hosts'),
  top: z.coerce.number().int().min(0).max(20).default(5).describe('entrants whose best public score over time is returned in `history`'),
  phase: z.string().min(1).optional().describe("one phase's submissions only (a phase with data of its own ranks on its own); absent: every phase's"),
});

/** Participant or team: a team's members share one entry. */
const entrantOf = (s: AttributedSubmission) =>
  s.team_id ? { key: `team:${s.team_id}`, kind: 'team' as const, name: s.team_name ?? '' } : { key: s.user_id, kind: 'user' as const, name: s.username };

const parseScores = (json: string | null) => (json ? (JSON.parse(json) as Record<string, number>) : {});

/** The ranked leaderboard of one part, with each entrant's entries and best public score over time. */
export async function leaderboard(deps: ServerDeps, c: StoredCompetition, part: 'public' | 'private', top: number, phase?: string) {
  if (phase !== undefined && !c.config.phases.some((p) => p.name === phase)) throw new HttpError(404, `phase "${phase}" of "${c.slug}" not found; its phases are ${c.config.phases.map((p) => `"${p.name}"`).join(', ')}`, 'not_found');
  const rows = (await deps.hostSubmissions.scoredForBoard(c.id)).filter((r) => phase === undefined || r.phase === phase);
  const { higherIsBetter, metric } = c.config.scoring.primary;
  const names = new Map(rows.map((r) => [entrantOf(r).key, entrantOf(r)]));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(entrantOf(r).key, (counts.get(entrantOf(r).key) ?? 0) + 1);
  let ranked = rows;
  if (part === 'private') {
    const byEntrant = new Map<string, AttributedSubmission[]>();
    for (const r of rows) byEntrant.set(entrantOf(r).key, [...(byEntrant.get(entrantOf(r).key) ?? []), r]);
    ranked = [...byEntrant.values()].flatMap((subs) =>
      finalCandidates(
        subs.map((s) => ({ s, selected: s.selected === 1, publicScore: s.public_primary, createdAt: s.created_at })),
        finalSelectionsOf(c.config),
        higherIsBetter,
      ).map((x) => x.s),
    );
  }
  const board = rankLeaderboard(
    ranked.map((r) => ({
      userId: entrantOf(r).key,
      username: entrantOf(r).name,
      submissionId: r.id,
      score: (part === 'public' ? r.public_primary : r.private_primary) ?? Number.NaN,
      scores: parseScores(part === 'public' ? r.public_scores : r.private_scores),
      createdAt: r.created_at,
    })),
    higherIsBetter,
  ).map((row) => {
    const e = names.get(row.userId);
    return { ...row, entries: counts.get(row.userId) ?? row.entries, entrant: { kind: e?.kind ?? 'user', id: row.userId.replace(/^team:/, ''), name: row.username } };
  });
  // Equal scores share a rank; on the private board each row also says where it stood in public.
  const shared = sharedRanks(board.map((r) => r.score));
  const publicRanks: Map<string, number> | undefined = part === 'private' ? await publicRanksOf(deps, c, phase) : undefined;
  const bySubmission = new Map(rows.map((r) => [r.id, r]));
  const rowsOut = board.map((r, i) => ({
    ...r,
    sharedRank: shared[i] ?? r.rank,
    ...(publicRanks ? { publicRank: publicRanks.get(r.userId) ?? null } : {}),
    ...resourceFields(c, bySubmission.get(r.submissionId)),
    // A run carried from the previous phase names the submission it re-ran.
    carriedFrom: bySubmission.get(r.submissionId)?.carried_from ?? null,
  }));
  const leaders = board.slice(0, top).map((r) => r.userId);
  const history = bestScoreHistory(
    rows.map((r) => ({ entrant: entrantOf(r).key, score: r.public_primary ?? Number.NaN, createdAt: r.created_at })),
    leaders,
    higherIsBetter,
  ).map((h) => ({ name: names.get(h.entrant)?.name ?? h.entrant, points: h.points }));
  const resources = { resourceColumns: c.config.resourceColumns ?? [], ...(c.config.prizeLimits ? { prizeLimits: c.config.prizeLimits } : {}) };
  return { part, phase: phase ?? null, metric, higherIsBetter, extraMetrics: c.config.scoring.extra.map((m) => m.metric), ...resources, rows: rowsOut, history };
}

/**
 * A row's resource use (only where the competition shows it as columns or judges prizes by it)
 * and whether that entry is eligible for prizes, with the reasons when it is not.
 */
function resourceFields(c: StoredCompetition, s: AttributedSubmission | undefined) {
  const { resourceColumns = [], prizeLimits } = c.config;
  if (resourceColumns.length === 0 && !prizeLimits) return {};
  const usage = s ? usageOf(s) : undefined;
  const shown = Object.fromEntries(resourceColumns.map((col) => [resourceColumnField[col], usage?.[resourceColumnField[col]] ?? null]));
  if (!prizeLimits) return { usage: shown };
  const reasons = prizeIneligibility(usage, prizeLimits);
  return { usage: shown, prizeEligible: reasons.length === 0, prizeIneligible: reasons };
}

/** Each entrant's shared rank on the public board (for the private board's rank change). */
async function publicRanksOf(deps: ServerDeps, c: StoredCompetition, phase: string | undefined): Promise<Map<string, number>> {
  const board = await leaderboard(deps, c, 'public', 0, phase);
  return new Map(board.rows.map((r) => [r.userId, r.sharedRank]));
}

async function mayViewPart(deps: ServerDeps, req: FastifyRequest, c: StoredCompetition, part: 'public' | 'private'): Promise<void> {
  if (part === 'private' && !c.privateRevealed && !(await isHostOf(deps, req.user, c)))
    throw new HttpError(403, 'the private leaderboard is hidden until the host reveals it');
}

export const leaderboardRoutes = (deps: ServerDeps): FastifyPluginAsync => async (app) => {
  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/leaderboard', tag: 'leaderboard', access: 'anyone',
    summary: 'Best entry per participant or team, with entries, date of the best entry, all metrics, and best public score over time of the top entrants',
    params: slugParams, query: partQuery,
    handler: async (req, _reply, { params, query }) => {
      const c = await competitionOr404(deps, params.slug);
      await mayViewPart(deps, req, c, query.part);
      return leaderboard(deps, c, query.part, query.top, query.phase);
    },
  });

  apiRoute(app, {
    method: 'GET', url: '/competitions/:slug/leaderboard.csv', tag: 'leaderboard', access: 'anyone', summary: 'The leaderboard as CSV',
    params: slugParams, query: partQuery,
    responses: { 200: { description: 'CSV', contentType: 'text/csv' } },
    handler: async (req, reply, { params, query }) => {
      const c = await competitionOr404(deps, params.slug);
      await mayViewPart(deps, req, c, query.part);
      const b = await leaderboard(deps, c, query.part, 0, query.phase);
      const csv = csvLines(
        [
          'rank', 'entrant', 'kind', b.metric, ...b.extraMetrics, 'entries', 'best_submitted_at', 'submission_id',
          ...b.resourceColumns.map((col) => (col.endsWith('memory') ? `${col}_bytes` : `${col}_ms`)), ...(b.prizeLimits ? ['prize_eligible'] : []),
        ],
        b.rows.map((r) => [
          r.rank, r.entrant.name, r.entrant.kind, r.score, ...b.extraMetrics.map((m) => r.scores[m]), r.entries, r.createdAt, r.submissionId,
          ...b.resourceColumns.map((col) => r.usage?.[resourceColumnField[col]]), ...(b.prizeLimits ? [r.prizeEligible] : []),
        ]),
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${c.slug}-${query.part}-leaderboard.csv"`)
        .send(csv);
    },
  });

  apiRoute(app, {
    method: 'POST', url: '/competitions/:slug/reveal', tag: 'hosting', access: 'host', summary: 'Reveal (or hide again) the private leaderboard',
    params: slugParams, body: z.object({ revealed: z.boolean().default(true) }),
    responses: { 200: { description: 'Done', schema: z.object({ slug: z.string(), privateRevealed: z.boolean() }) } },
    handler: async (req, _reply, { params, body }) => {
      const { c } = await hostedCompetition(deps, req, params.slug);
      await deps.competitions.setPrivateRevealed(c.id, body.revealed);
      return { slug: c.slug, privateRevealed: body.revealed };
    },
  });
};
