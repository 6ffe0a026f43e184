import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { loadBundle } from '../../bundle/load-bundle.js';
import { BundleError } from '../../bundle/bundle-error.js';
import { formatColumns } from '../../bundle/format-columns.js';
import { formatCommand } from '../../domain/entry-file.js';
import { outputOf } from '../cli-output.js';
import { competitionPath, fetchCompetition } from '../competition-details.js';
import { isBundleFolder } from '../competition-kit.js';
import { connect } from '../connect.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { mainPyTemplate, readmeTemplate, type TemplateInput } from '../submission-template.js';

/** The competition's template inputs, from a bundle folder or from the server. */
async function templateInput(value: string, cmd: Command): Promise<{ input: TemplateInput; hasSmoke: boolean }> {
  if (isBundleFolder(value)) {
    const loaded = await loadBundle(value).catch((error: unknown) => {
      throw error instanceof BundleError ? new CliError(error.message, exitCodes.invalidInput, 'invalid_bundle') : error;
    });
    const { config } = loaded;
    const formatText = await readFile(path.join(loaded.root, config.data.submissionFormat), 'utf8');
    return {
      input: {
        slug: config.slug,
        title: config.title,
        entrypoint: formatCommand(config.entrypoint),
        idColumn: config.idColumn,
        ...formatColumns(formatText, config.idColumn),
        predictionsFile: config.predictionsFile,
      },
      hasSmoke: config.data.smoke !== undefined,
    };
  }
  const client = await connect(cmd, false);
  const details = await fetchCompetition(client, value);
  const kit = details.localTest ?? null;
  // Servers older than `submissionFormat` publish the columns only through the smoke sample's format.
  let format = details.submissionFormat;
  if (!format && kit) {
    const res = await client.request('GET', `${competitionPath(value)}/files/${kit.smoke.submissionFormat.split('/').map(encodeURIComponent).join('/')}`);
    format = { idColumn: kit.idColumn, ...formatColumns(await res.text(), kit.idColumn) };
  }
  return {
    input: {
      slug: details.slug,
      title: details.title,
      entrypoint: details.entrypoint,
      idColumn: format?.idColumn ?? 'id',
      columns: format?.columns ?? ['prediction'],
      placeholders: format?.placeholders ?? ['0'],
      predictionsFile: details.predictionsFile,
    },
    hasSmoke: kit !== null,
  };
}

/** `holdout init --competition SLUG [DIR]`: a submission folder that runs as it is. */
export function initCommand(): Command {
  return new Command('init')
    .description('scaffold a submission folder for a competition: main.py in its submission format, and a README')
    .argument('[dir]', 'the folder to create (default: ./<slug>-submission)')
    .requiredOption('-c, --competition <slug-or-bundle>', 'a competition slug on the server, or a bundle folder')
    .option('--force', 'overwrite main.py and README.md if they exist')
    .action(async (dir: string | undefined, opts: { competition: string; force?: boolean }, cmd: Command) => {
      const { input, hasSmoke } = await templateInput(opts.competition, cmd);
      const folder = path.resolve(dir ?? `${input.slug}-submission`);
      const main = path.join(folder, 'main.py');
      if (!opts.force && existsSync(main)) throw new CliError(`${main} exists already; use --force to overwrite it`, exitCodes.invalidInput);
      await mkdir(folder, { recursive: true });
      await writeFile(main, mainPyTemplate(input));
      await writeFile(path.join(folder, 'README.md'), readmeTemplate(input, path.relative(process.cwd(), folder) || '.', hasSmoke));
      outputOf(cmd).result(
        { dir: folder, files: ['main.py', 'README.md'], columns: input.columns, predictionsFile: input.predictionsFile },
        [`created ${folder}/main.py and README.md for "${input.title}"`, `next: edit predict() in main.py, then "holdout pack ${path.relative(process.cwd(), folder) || '.'}"`],
      );
    });
}
