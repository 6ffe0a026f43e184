import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Command } from 'commander';
import { formatTable, outputOf } from '../cli-output.js';
import { painter, statusTint } from '../colour.js';
import { connect } from '../connect.js';
import type { SubmissionView } from '../follow-submission.js';
import { mySubmissions, resolveSubmissionId } from '../resolve-submission-id.js';
import { describeFailure, formatScore } from '../submission-summary.js';

function row(s: SubmissionView, competition?: string): string[] {
  // Short ids: any unique start of one resolves (resolveSubmissionId), as with git.
  return [s.id.slice(0, 8), ...(competition === undefined ? [] : [competition]), s.kind, s.status, s.reason ?? '', formatScore(s.publicScore), s.createdAt.replace('T', ' ').slice(0, 19)];
}

/** `holdout status [ID] [--competition SLUG]` and `holdout logs ID`. */
export function statusCommands(): Command[] {
  const status = new Command('status')
    .description('your submissions: one by id, one competition\'s, or all of them')
    .argument('[id]', 'a submission id, or its first characters')
    .option('-c, --competition <slug>', 'only this competition')
    .action(async (id: string | undefined, opts: { competition?: string }, cmd: Command) => {
      const out = outputOf(cmd);
      const client = await connect(cmd, true);
      if (id !== undefined) {
        const s = await client.get<SubmissionView>(`/api/submissions/${encodeURIComponent(await resolveSubmissionId(client, id))}`);
        const lines = [`${s.id}  ${s.kind} run in phase ${s.phase}: ${s.status}`];
        if (s.status === 'failed') lines.push(describeFailure(s.reason, s.message, s.advice));
        if (s.publicScores) lines.push(`public: ${Object.entries(s.publicScores).map(([k, v]) => `${k} ${formatScore(v)}`).join(', ')}`);
        if (s.privateScores) lines.push(`private: ${Object.entries(s.privateScores).map(([k, v]) => `${k} ${formatScore(v)}`).join(', ')}`);
        out.result(s, lines);
        return;
      }
      // Without --competition: every competition's list (the API lists per competition).
      const all = await mySubmissions<SubmissionView>(client, opts.competition);
      const many = opts.competition === undefined;
      const paint = painter(process.stdout);
      out.result(
        all,
        all.length === 0
          ? 'no submissions yet'
          : formatTable(['id', ...(many ? ['competition'] : []), 'kind', 'status', 'reason', 'score', 'submitted (UTC)'], all.map((s) => row(s, many ? s.competition : undefined)), (padded, cell) => {
              const tint = statusTint(cell);
              return tint ? paint(padded, tint) : padded;
            }),
      );
    });

  const logs = new Command('logs')
    .description("print a submission's log (stdout and stderr of its run)")
    .argument('<id>', 'the submission id, or its first characters')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const client = await connect(cmd, true);
      const res = await client.request('GET', `/api/submissions/${encodeURIComponent(await resolveSubmissionId(client, id))}/logs`);
      if (res.body) await pipeline(Readable.fromWeb(res.body as WebReadableStream), process.stdout, { end: false });
    });

  return [status, logs];
}
