import { Command } from 'commander';
import { outputOf } from '../cli-output.js';
import { competitionPath } from '../competition-details.js';
import { connect } from '../connect.js';

/** `holdout rules SLUG [--accept]`: read a competition's rules, and accept them before submitting. */
export function rulesCommand(): Command {
  return new Command('rules')
    .description("show a competition's rules; --accept accepts them (needed before the first submission)")
    .argument('<slug>', 'the competition')
    .option('--accept', 'accept the rules')
    .action(async (slug: string, opts: { accept?: boolean }, cmd: Command) => {
      const out = outputOf(cmd);
      const client = await connect(cmd, opts.accept === true);
      const details = await client.get<{ rules?: string; me?: { rulesAcceptedAt: string | null } | null }>(competitionPath(slug));
      if (!opts.accept) {
        const accepted = details.me?.rulesAcceptedAt;
        out.result(
          { rules: details.rules ?? '', acceptedAt: accepted ?? null },
          [details.rules ?? '(this server states no rules)', '', accepted ? `You accepted them on ${accepted}.` : `Accept them with: holdout rules ${slug} --accept`],
        );
        return;
      }
      const done = await client.json<{ acceptedAt: string }>('POST', `${competitionPath(slug)}/rules`);
      out.result(done, `accepted the rules of ${slug} (${done.acceptedAt})`);
    });
}
