import { Command } from 'commander';
import { formatTable, outputOf } from '../cli-output.js';
import { competitionPath } from '../competition-details.js';
import { connect } from '../connect.js';
import { formatScore } from '../submission-summary.js';

/** The leaderboard as the API returns it (the fields the CLI shows). */
interface Leaderboard {
  part: 'public' | 'private';
  metric: string;
  higherIsBetter: boolean;
  extraMetrics?: string[];
  rows: {
    rank: number; sharedRank?: number; publicRank?: number | null; username: string; entrant?: { kind: 'user' | 'team' };
    score: number; scores?: Record<string, number>; entries?: number; createdAt: string;
  }[];
}

/** "▲2" up since the public board, "▼1" down, "=" the same, "new" not on it. Pure. */
export function rankChange(publicRank: number | null | undefined, rank: number): string {
  if (publicRank === undefined) return '';
  if (publicRank === null) return 'new';
  return publicRank > rank ? `▲${publicRank - rank}` : publicRank < rank ? `▼${rank - publicRank}` : '=';
}

/** `holdout leaderboard SLUG [--private]`. */
export function leaderboardCommand(): Command {
  return new Command('leaderboard')
    .description("a competition's leaderboard: the best entry of each participant or team, every metric")
    .argument('<slug>', 'the competition')
    .option('--private', 'the private part (once the host reveals it), with each rank\'s change since the public one')
    .option('--phase <name>', "one phase's submissions only (a phase with data of its own ranks on its own)")
    .action(async (slug: string, opts: { private?: boolean; phase?: string }, cmd: Command) => {
      const client = await connect(cmd, false);
      const phase = opts.phase === undefined ? '' : `&phase=${encodeURIComponent(opts.phase)}`;
      const board = await client.get<Leaderboard>(`${competitionPath(slug)}/leaderboard?part=${opts.private ? 'private' : 'public'}${phase}`);
      const direction = board.higherIsBetter ? 'higher is better' : 'lower is better';
      const extras = board.extraMetrics ?? [];
      const changes = board.part === 'private';
      // Equal scores share a rank, marked "=" like "2=": the earlier entry is listed first.
      const rankOf = (r: Leaderboard['rows'][number]) => r.sharedRank ?? r.rank;
      const tied = (r: Leaderboard['rows'][number]) => board.rows.filter((x) => rankOf(x) === rankOf(r)).length > 1;
      outputOf(cmd).result(board, [
        `${slug}: ${board.part} leaderboard${opts.phase === undefined ? '' : ` of phase "${opts.phase}"`}, ${board.metric} (${direction})`,
        board.rows.length === 0
          ? 'no scored submissions yet'
          : formatTable(
              ['rank', 'entrant', board.metric, ...extras, ...(changes ? ['since public'] : []), 'entries', 'best entry (UTC)'],
              board.rows.map((r) => [
                `${rankOf(r)}${tied(r) ? '=' : ''}`, `${r.username}${r.entrant?.kind === 'team' ? ' (team)' : ''}`, formatScore(r.score),
                ...extras.map((m) => formatScore(r.scores?.[m] ?? null)), ...(changes ? [rankChange(r.publicRank, rankOf(r))] : []),
                String(r.entries ?? ''), r.createdAt.replace('T', ' ').slice(0, 19),
              ]),
            ),
      ]);
    });
}
