import path from 'node:path';
import { Command } from 'commander';
import { formatBytes, outputOf } from '../cli-output.js';
import { fetchCompetition } from '../competition-details.js';
import { connect } from '../connect.js';
import { downloadFiles } from '../download-files.js';

/** `holdout download SLUG [--dir DIR]`: public data and the smoke sample. */
export function downloadCommand(): Command {
  return new Command('download')
    .description("download a competition's public files (training data, submission format) and its smoke sample")
    .argument('<slug>', 'the competition')
    .option('-d, --dir <dir>', 'where to put them (default: ./<slug>), at their paths in the bundle')
    .option('--force', 'download files again even when they are already there with the right size')
    .action(async (slug: string, opts: { dir?: string; force?: boolean }, cmd: Command) => {
      const out = outputOf(cmd);
      const client = await connect(cmd, false);
      const details = await fetchCompetition(client, slug);
      const dir = path.resolve(opts.dir ?? slug);
      const report = await downloadFiles(client, slug, details.files, dir, out, { force: opts.force === true });
      const kit = details.localTest;
      const smoke = kit ? [kit.smoke.features, kit.smoke.labels, kit.smoke.submissionFormat] : [];
      out.result(
        { dir, files: details.files, downloaded: report.downloaded, kept: report.kept, bytes: report.bytes, smoke: kit?.smoke ?? null },
        [
          `${dir}: ${report.downloaded.length} files downloaded (${formatBytes(report.bytes)}), ${report.kept.length} already there`,
          ...(smoke.length > 0 ? [`smoke sample: ${smoke.join(', ')} (test a submission on it: holdout test-submission submission.zip --competition ${slug})`] : []),
        ],
      );
    });
}
