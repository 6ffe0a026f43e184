import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { parse as parseCsv } from 'csv-parse/sync';
import { type LocalTestKit, localTestKit } from '../../app/local-test.js';
import { loadBundle } from '../../bundle/load-bundle.js';
import { BundleError } from '../../bundle/bundle-error.js';
import { outputOf } from '../cli-output.js';
import { competitionPath, fetchCompetition } from '../competition-details.js';
import { isBundleFolder } from '../competition-kit.js';
import { connect } from '../connect.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { mainPyTemplate, readmeTemplate, type TemplateInput } from '../submission-template.js';

/** The header and first row of a submission format CSV: the columns and a valid value for each. */
function formatColumns(csvText: string, idColumn: string): { columns: string[]; placeholders: string[] } {
  const rows = parseCsv(csvText.split('\n').slice(0, 2).join('\n'), { relax_column_count: true }) as string[][];
  const [header = [], first = []] = rows;
  const keep = header.map((c, i) => [c, first[i] ?? '0'] as const).filter(([c]) => c !== idColumn);
  return { columns: keep.map(([c]) => c), placeholders: keep.map(([, v]) => v) };
}

/** The competition's template inputs, from a bundle folder or from the server. */
async function templateInput(value: string, cmd: Command): Promise<{ input: TemplateInput; hasSmoke: boolean }> {
  let kit: LocalTestKit | null;
  let formatText: string | undefined;
  let entrypoint: string;
  if (isBundleFolder(value)) {
    const loaded = await loadBundle(value).catch((error: unknown) => {
      throw error instanceof BundleError ? new CliError(error.message, exitCodes.invalidInput, 'invalid_bundle') : error;
    });
    kit = localTestKit(loaded.config);
    entrypoint = loaded.config.entrypoint.join(' ');
    const format = loaded.config.data.submissionFormat;
    // A raw scoring program's competition has no submission format to build a template from.
    if (format !== undefined) formatText = await readFile(path.join(loaded.root, format), 'utf8');
  } else {
    const client = await connect(cmd, false);
    const details = await fetchCompetition(client, value);
    kit = details.localTest ?? null;
    entrypoint = details.entrypoint;
    // The smoke sample's format is public and has the same columns as the full one.
    if (kit) {
      const res = await client.request('GET', `${competitionPath(value)}/files/${kit.smoke.submissionFormat.split('/').map(encodeURIComponent).join('/')}`);
      formatText = await res.text();
    }
  }
  const idColumn = kit?.idColumn ?? 'id';
  const { columns, placeholders } = formatText ? formatColumns(formatText, idColumn) : { columns: ['prediction'], placeholders: ['0'] };
  return {
    input: {
      slug: kit?.slug ?? value,
      title: kit?.title ?? value,
      entrypoint,
      idColumn,
      columns,
      placeholders,
      predictionsFile: kit?.predictionsFile ?? 'submission.csv',
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
