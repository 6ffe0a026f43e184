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
  rows: { rank: number; username: string; score: number; entries?: number; createdAt: string }[];
}

/** `holdout leaderboard SLUG [--private]`. */
export function leaderboardCommand(): Command {
  return new Command('leaderboard')
    .description("a competition's leaderboard: the best entry of each participant or team")
    .argument('<slug>', 'the competition')
    .option('--private', 'the private part (once the host reveals it)')
    .action(async (slug: string, opts: { private?: boolean }, cmd: Command) => {
      const client = await connect(cmd, false);
      const board = await client.get<Leaderboard>(`${competitionPath(slug)}/leaderboard?part=${opts.private ? 'private' : 'public'}`);
      const direction = board.higherIsBetter ? 'higher is better' : 'lower is better';
      outputOf(cmd).result(board, [
        `${slug}: ${board.part} leaderboard, ${board.metric} (${direction})`,
        board.rows.length === 0
          ? 'no scored submissions yet'
          : formatTable(
              ['rank', 'entrant', board.metric, 'entries', 'best entry (UTC)'],
              board.rows.map((r) => [String(r.rank), r.username, formatScore(r.score), String(r.entries ?? ''), r.createdAt.replace('T', ' ').slice(0, 19)]),
            ),
      ]);
    });
}
