import { stat } from 'node:fs/promises';
import { Command } from 'commander';
import { platformUnpackLimits } from '../../app/local-test.js';
import { ArchiveError, inspectZip } from '../../archive/safe-unzip.js';
import { ApiError } from '../api-client.js';
import { formatBytes, outputOf } from '../cli-output.js';
import { painter, statusTint } from '../colour.js';
import { competitionPath, fetchCompetition } from '../competition-details.js';
import { connect } from '../connect.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { followSubmission, type SubmissionView } from '../follow-submission.js';
import { describeFailure, formatScores } from '../submission-summary.js';

/** `holdout submit ZIP --competition SLUG [--smoke]`: upload, then follow to the final status. */
export function submitCommand(): Command {
  return new Command('submit')
    .description('upload a submission.zip and follow it until it is scored or failed')
    .argument('<zip>', 'the submission zip (see "holdout pack")')
    .requiredOption('-c, --competition <slug>', 'the competition')
    .option('--smoke', 'a smoke run: on the public smoke sample, with the full log shown (its own daily quota)')
    .option('--no-wait', 'return once the submission is queued')
    .addHelpText('after', '\nExit status: 0 scored, 7 failed (the reason is printed), 8 refused (quota, not open, rules).')
    .action(async (zip: string, opts: { competition: string; smoke?: boolean; wait: boolean }, cmd: Command) => {
      const out = outputOf(cmd);
      const info = await stat(zip).catch(() => undefined);
      if (!info?.isFile()) throw new CliError(`${zip} does not exist or is not a file; create it with "holdout pack"`, exitCodes.invalidInput);
      const client = await connect(cmd, true);
      // The competition publishes what its server accepts: a zip over it is refused here, not after the upload.
      const limits = (await fetchCompetition(client, opts.competition)).upload;
      if (limits && info.size > limits.maxZipBytes) {
        throw new CliError(`${zip} is ${formatBytes(info.size)}, larger than the limit of ${formatBytes(limits.maxZipBytes)} for a submission to ${opts.competition}; remove files you do not need and pack it again`, exitCodes.invalidInput, 'payload_too_large');
      }
      try {
        // The server checks again; this only saves uploading a damaged archive.
        await inspectZip(zip, { maxBytes: limits?.maxUnpackedBytes ?? platformUnpackLimits.maxUnpackedBytes, maxFiles: limits?.maxFiles ?? platformUnpackLimits.maxFiles });
      } catch (error) {
        if (error instanceof ArchiveError) throw new CliError(`${zip}: ${error.message}`, exitCodes.invalidInput, 'invalid_archive');
        throw error;
      }
      const kind = opts.smoke ? 'smoke' : 'full';
      const bar = out.progress('uploading', info.size);
      let sent: SubmissionView;
      try {
        sent = await client.upload<SubmissionView>(`${competitionPath(opts.competition)}/submissions?kind=${kind}`, zip, (n) => bar.update(n));
      } catch (error) {
        if (error instanceof ApiError && error.code === 'rules_not_accepted') {
          throw new CliError(`${error.message}; or run "holdout rules ${opts.competition} --accept"`, error.exitCode, error.code);
        }
        throw error;
      } finally {
        bar.done();
      }
      out.note(`submitted ${sent.id} (${kind} run) to ${opts.competition}`);
      if (!opts.wait) {
        out.result(sent, `${sent.id} ${sent.status}; follow it with "holdout status ${sent.id}"`);
        return;
      }
      out.note('following it (Ctrl+C stops following, not the run)');
      const paint = painter(process.stderr);
      let streamed = false;
      const done = await followSubmission(client, sent.id, {
        onStatus: (s) => out.note(`status: ${paint(s.status, statusTint(s.status) ?? 'bold')}`),
        onLog: (text) => {
          streamed = true;
          process.stderr.write(text);
        },
      });
      if (kind === 'smoke' && !streamed && done.logBytes) {
        // A worker in another process does not stream; a smoke run's log is shown in full anyway.
        const res = await client.request('GET', `/api/submissions/${encodeURIComponent(done.id)}/logs`).catch(() => undefined);
        if (res) process.stderr.write(await res.text());
      }
      if (done.status !== 'scored') {
        throw new CliError(`submission ${done.id} ${done.status}; ${describeFailure(done.reason, done.message, done.advice)}`, exitCodes.submissionFailed, done.reason ?? done.status, done);
      }
      out.result(done, `submission ${done.id} scored: ${formatScores(done.publicScores)}${kind === 'smoke' ? ' (smoke sample)' : ''}`);
    });
}
