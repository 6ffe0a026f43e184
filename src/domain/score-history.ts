/** A scored submission of one entrant (a participant or a team), in submission order. */
export interface TimedScore {
  entrant: string;
  score: number;
  createdAt: string;
}

/** The best score an entrant had reached at each moment it improved. */
export interface ScoreHistory {
  entrant: string;
  points: { at: string; score: number }[];
}

/**
 * Best score over time for the given entrants: one point per improvement, so a plot of the
 * points as a step line shows the leaderboard's race. Non-finite scores are ignored.
 */
export function bestScoreHistory(scores: readonly TimedScore[], entrants: readonly string[], higherIsBetter: boolean): ScoreHistory[] {
  const wanted = new Set(entrants);
  const byEntrant = new Map<string, { at: string; score: number }[]>(entrants.map((e) => [e, []]));
  for (const s of [...scores].sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
    if (!wanted.has(s.entrant) || !Number.isFinite(s.score)) continue;
    const points = byEntrant.get(s.entrant) ?? [];
    const last = points.at(-1);
    if (!last || (higherIsBetter ? s.score > last.score : s.score < last.score)) points.push({ at: s.createdAt, score: s.score });
  }
  return entrants.map((entrant) => ({ entrant, points: byEntrant.get(entrant) ?? [] }));
}

/**
 * The submissions that count for an entrant's final (private) ranking: those it selected, or
 * without a selection its `n` best by public score (earlier first on ties).
 */
export function finalCandidates<T extends { selected: boolean; publicScore: number | null; createdAt: string }>(
  subs: readonly T[],
  n: number,
  higherIsBetter: boolean,
): T[] {
  const chosen = subs.filter((s) => s.selected);
  if (chosen.length) return chosen.slice(0, n);
  return subs
    .filter((s) => s.publicScore !== null && Number.isFinite(s.publicScore))
    .sort((a, b) => {
      const d = (a.publicScore ?? 0) - (b.publicScore ?? 0);
      return d !== 0 ? (higherIsBetter ? -d : d) : a.createdAt.localeCompare(b.createdAt);
    })
    .slice(0, n);
}
