/** One scored submission, as the leaderboard sees it. */
export interface ScoredEntry {
  userId: string;
  username: string;
  submissionId: string;
  /** The primary metric on the part being ranked. */
  score: number;
  /** All metrics on that part, for the extra columns. */
  scores: Record<string, number>;
  createdAt: string;
}

export interface LeaderboardRow {
  rank: number;
  userId: string;
  username: string;
  submissionId: string;
  score: number;
  scores: Record<string, number>;
  /** How many scored submissions the participant has. */
  entries: number;
  /** When the best entry was submitted. */
  createdAt: string;
}

/**
 * Best entry per participant, ranked by score; an equal score goes to whoever submitted it first,
 * so copying a leader's result never overtakes them.
 */
export function rankLeaderboard(entries: readonly ScoredEntry[], higherIsBetter: boolean): LeaderboardRow[] {
  // Two uploads in the same millisecond tie on both: the submission id settles it, so the order
  // never depends on the order rows came out of the database.
  const better = (a: ScoredEntry, b: ScoredEntry): boolean =>
    a.score !== b.score
      ? higherIsBetter ? a.score > b.score : a.score < b.score
      : a.createdAt !== b.createdAt ? a.createdAt < b.createdAt : a.submissionId < b.submissionId;
  const best = new Map<string, { entry: ScoredEntry; count: number }>();
  for (const e of entries) {
    if (!Number.isFinite(e.score)) continue;
    const seen = best.get(e.userId);
    if (!seen) best.set(e.userId, { entry: e, count: 1 });
    else {
      seen.count++;
      if (better(e, seen.entry)) seen.entry = e;
    }
  }
  return [...best.values()]
    .sort((a, b) => (better(a.entry, b.entry) ? -1 : better(b.entry, a.entry) ? 1 : 0))
    .map(({ entry, count }, i) => ({
      rank: i + 1,
      userId: entry.userId,
      username: entry.username,
      submissionId: entry.submissionId,
      score: entry.score,
      scores: entry.scores,
      entries: count,
      createdAt: entry.createdAt,
    }));
}

/**
 * Ranks as a reader expects them for rows already in order: equal scores share the better rank
 * (1, 2, 2, 4). The order itself still puts the earlier of equal entries first.
 */
export function sharedRanks(scores: readonly number[]): number[] {
  const ranks: number[] = [];
  scores.forEach((score, i) => ranks.push(i > 0 && scores[i - 1] === score ? (ranks[i - 1] ?? i + 1) : i + 1));
  return ranks;
}
