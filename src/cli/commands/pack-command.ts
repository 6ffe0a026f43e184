import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { ArchiveError, checkEntryPoint, inspectZip } from '../../archive/safe-unzip.js';
import { zipFolder } from '../../archive/zip-folder.js';
import { parseSize, sizeUnitHint } from '../../bundle/units.js';
import { formatBytes, outputOf } from '../cli-output.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { describeSkipped, planPack } from '../pack-plan.js';

/** The platform's defaults (HOLDOUT_MAX_UNPACKED_BYTES, HOLDOUT_MAX_FILES, HOLDOUT_MAX_UPLOAD_BYTES). */
export const packDefaults = { maxUnpacked: '2GiB', maxFiles: 10_000 } as const;

function sizeOption(text: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new CliError(`"${text}" is not a size; use ${sizeUnitHint}`, exitCodes.usage);
  return bytes;
}

/** `holdout pack DIR`: checks a submission folder and writes submission.zip. */
export function packCommand(): Command {
  return new Command('pack')
    .description('check a submission folder and zip it into submission.zip')
    .argument('[dir]', 'the submission folder', '.')
    .option('-o, --output <file>', 'the zip to write', 'submission.zip')
    .option('--entry <file>', 'the entry point that must be at the top of the folder', 'main.py')
    .option('--max-size <size>', 'largest unpacked size (the platform\'s default)', packDefaults.maxUnpacked)
    .option('--max-zip-size <size>', 'largest zip the server accepts (the platform\'s default; a competition publishes its own)', '500MiB')
    .addHelpText(
      'after',
      '\nLeft out, with a note: __pycache__, .ipynb_checkpoints, .git and other caches, virtual\n' +
        'environments (folders with pyvenv.cfg or conda-meta), *.pyc and symbolic links.',
    )
    .action(async (dir: string, opts: { output: string; entry: string; maxSize: string; maxZipSize: string }, cmd: Command) => {
      const out = outputOf(cmd);
      const maxBytes = sizeOption(opts.maxSize);
      const maxZip = sizeOption(opts.maxZipSize);
      const folder = path.resolve(dir);
      const info = await stat(folder).catch(() => undefined);
      if (!info?.isDirectory()) throw new CliError(`${dir} is not a folder; give the submission folder`, exitCodes.invalidInput);
      const zipFile = path.resolve(opts.output);

      const plan = await planPack(folder, new Set([zipFile]));
      for (const line of describeSkipped(plan.skipped)) out.note(line);
      const entries = plan.files.map((f) => ({ name: f.path, bytes: f.bytes, isDirectory: false }));
      try {
        checkEntryPoint(entries, opts.entry);
      } catch (error) {
        if (error instanceof ArchiveError) throw new CliError(`${dir}: ${error.message.replace('the zip must contain', 'the folder must contain')}`, exitCodes.invalidInput);
        throw error;
      }
      if (plan.files.length > packDefaults.maxFiles) {
        throw new CliError(`${dir} holds ${plan.files.length} files, more than the ${packDefaults.maxFiles} a submission may have; remove data you do not need`, exitCodes.invalidInput);
      }
      if (plan.totalBytes > maxBytes) {
        const biggest = [...plan.files].sort((a, b) => b.bytes - a.bytes).slice(0, 3).map((f) => `${f.path} ${formatBytes(f.bytes)}`);
        throw new CliError(
          `${dir} holds ${formatBytes(plan.totalBytes)}, more than the limit of ${formatBytes(maxBytes)} (largest: ${biggest.join(', ')})`,
          exitCodes.invalidInput,
        );
      }

      await zipFolder(folder, zipFile, plan.files.map((f) => f.path));
      let zipBytes: number;
      try {
        // Read back with the platform's own checks, so what pack writes is what the server accepts.
        await inspectZip(zipFile, { maxBytes, maxFiles: packDefaults.maxFiles });
        zipBytes = (await stat(zipFile)).size;
        if (zipBytes > maxZip) {
          throw new CliError(`${opts.output} would be ${formatBytes(zipBytes)}, more than the ${formatBytes(maxZip)} the server accepts; it was not kept: remove data you do not need`, exitCodes.invalidInput);
        }
      } catch (error) {
        // A zip pack refused is not left behind to be submitted by mistake.
        await rm(zipFile, { force: true });
        throw error;
      }
      out.result(
        { zip: zipFile, files: plan.files.map((f) => f.path), unpackedBytes: plan.totalBytes, zipBytes, skipped: plan.skipped },
        `wrote ${path.relative(process.cwd(), zipFile) || zipFile}: ${plan.files.length} files, ${formatBytes(plan.totalBytes)} unpacked, ${formatBytes(zipBytes)} zipped`,
      );
    });
}
