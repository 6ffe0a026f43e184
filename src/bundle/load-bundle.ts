import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { CompetitionConfig, DataConfig, ScoringConfig } from '../domain/competition.js';
import { BundleError, type BundleIssue } from './bundle-error.js';
import { checkCsvFiles } from './check-csv.js';
import { checkDataPaths, pathIssue } from './check-data.js';
import { checkHarnessFiles } from './check-harness.js';
import { harnessSchema } from './harness-schema.js';
import { checkScoringProgram } from './check-scoring-program.js';
import { relativePath } from './fields.js';
import { competitionSchema, sectionSchemas } from './schema.js';
import { type BundleTree, walkBundle } from './walk-bundle.js';
import { bundleErrorMap, codabenchOnly, toBundleIssues } from './zod-issues.js';

/** The file at a bundle's root that declares the competition. */
export const configFile = 'competition.yaml';

/** A bundle that passed every check. */
export interface LoadedBundle {
  /** Real path of the bundle folder (links resolved). */
  root: string;
  config: CompetitionConfig;
  /** Every regular file, bundle-relative with forward slashes, sorted. */
  files: string[];
}

async function resolveRoot(dir: string): Promise<string> {
  try {
    const root = await realpath(dir);
    if ((await stat(root)).isDirectory()) return root;
  } catch {
    // reported below
  }
  throw new BundleError([{ file: '', field: '', message: `the bundle folder ${dir} does not exist or is not a folder` }]);
}

async function readConfig(root: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path.join(root, configFile), 'utf8');
  } catch {
    throw new BundleError([{ file: configFile, field: '', message: 'not found: a bundle needs competition.yaml at its root' }]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first line names the problem and its position; the code frame after it would break
    // the one-issue-per-line message.
    const firstLine = (e: Error) => (e.message.split('\n')[0] ?? '').replace(/:$/, '');
    throw new BundleError(doc.errors.map((e) => ({ file: configFile, field: '', message: `invalid YAML: ${firstLine(e)}` })));
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) throw new BundleError([{ file: configFile, field: '', message: 'is empty' }]);
  return value;
}

const bundlePath = relativePath('the bundle');

// A value without blanks naming a Markdown file is a path; anything else is the description itself.
const markdownFile = /^\S+\.(md|markdown)$/i;

async function readDescription(root: string, raw: string, tree: BundleTree, issues: BundleIssue[]): Promise<string> {
  const trimmed = raw.trim();
  if (!markdownFile.test(trimmed)) return raw;
  const rel = bundlePath.safeParse(trimmed);
  const message = rel.success ? pathIssue(tree, rel.data, 'file') : rel.error.issues[0]?.message;
  if (message !== undefined || !rel.success) {
    issues.push({ file: configFile, field: 'description', message: `${message ?? 'invalid path'} (a description without blanks ending in .md names a Markdown file)` });
    return '';
  }
  return readFile(path.join(root, rel.data), 'utf8');
}

function section<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, value: unknown): T | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/**
 * The data section without the public entries that are invalid on their own (already reported),
 * with the YAML index of each entry kept, so one bad entry does not hide the other data checks.
 */
function partialData(raw: unknown): { data: DataConfig; publicIndex: number[] } | undefined {
  const entries: unknown[] = typeof raw === 'object' && raw !== null && 'public' in raw && Array.isArray(raw.public) ? raw.public : [];
  const publicIndex = entries.flatMap((entry, i) => (bundlePath.safeParse(entry).success ? [i] : []));
  const data = section(sectionSchemas.data, entries.length === 0 ? raw : { ...(raw as object), public: publicIndex.map((i) => entries[i]) });
  return data === undefined ? undefined : { data, publicIndex };
}

/** The issue of a Codabench or CodaLab competition.yaml given as it is, which needs importing first. */
function codabenchIssue(raw: unknown): BundleIssue | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const keys = Object.keys(raw);
  const isCodabench = keys.includes('tasks') || keys.includes('leaderboards') || (keys.includes('version') && !keys.includes('slug'));
  if (!isCodabench) return undefined;
  const message =
    'this is a Codabench/CodaLab competition.yaml (it has ' +
    keys.filter((k) => codabenchOnly.has(k)).map((k) => `"${k}"`).join(', ') +
    '); convert it first: holdout competition import codabench BUNDLE.zip writes a Holdout bundle beside it and lists what it could not carry over';
  return { file: configFile, field: '', message };
}

/**
 * Reads and validates a competition bundle: `competition.yaml` against its schema, every data
 * path against the disk, and the labels against the submission format.
 * @remarks Every problem found is reported at once where one does not hide another: a schema
 * error in `limits` does not stop the data files from being checked. A bundle holds only plain
 * files and folders; symbolic links are refused, since bundles are copied file by file.
 * @throws BundleError listing every issue.
 */
export async function loadBundle(dir: string): Promise<LoadedBundle> {
  const root = await resolveRoot(dir);
  const raw = await readConfig(root);
  const issues: BundleIssue[] = [];
  const foreign = codabenchIssue(raw);
  if (foreign) throw new BundleError([foreign]);

  const parsed = competitionSchema.safeParse(raw, { error: bundleErrorMap });
  if (!parsed.success) issues.push(...toBundleIssues(parsed.error, configFile));

  const tree = await walkBundle(root);
  issues.push(...tree.issues);

  // Sections that parse on their own still get their files checked when another section is wrong.
  const record: Record<string, unknown> = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw } : {};
  const partial: { data: DataConfig; publicIndex?: number[] } | undefined = parsed.success ? { data: parsed.data.data } : partialData(record['data']);
  const scoring: ScoringConfig | undefined = parsed.success ? parsed.data.scoring : section(sectionSchemas.scoring, record['scoring']);
  const idColumn: string | undefined = parsed.success ? parsed.data.idColumn : section(sectionSchemas.idColumn, record['id_column']);

  // A raw scoring program reads the labels (a file or a folder) itself: no CSV checks.
  const rawScoring = scoring?.program?.input === 'raw';
  const sections: Array<{ data: DataConfig; at: string; publicIndex?: number[] }> = partial ? [{ ...partial, at: 'data' }] : [];
  if (parsed.success) parsed.data.phases.forEach((p, i) => p.own?.data && sections.push({ data: p.own.data, at: `phases[${i}].data` }));
  for (const { data, at, publicIndex } of sections) {
    const paths = checkDataPaths(data, tree, publicIndex, at, rawScoring);
    issues.push(...paths.issues);
    if (idColumn !== undefined && !rawScoring) {
      const found = await checkCsvFiles({ root, data, idColumn, ...(scoring ? { scoring } : {}), ok: paths.ok });
      issues.push(...found.map((issue) => ({ ...issue, field: issue.field.replace(/^data\b/, at) })));
    }
  }

  const harness = parsed.success ? parsed.data.harness : section(harnessSchema, record['harness']);
  if (harness?.dir !== undefined) issues.push(...checkHarnessFiles(tree, harness.dir, partial?.data));

  // Without label_rows, the rows a raw program must report are counted in the labels CSV file.
  if (scoring?.program?.rows && scoring.program.rows.expected === undefined) {
    for (const { data, at } of sections) {
      if (!/\.csv$/i.test(data.labels) || !tree.files.includes(data.labels)) {
        const message = `required: ${at}.labels "${data.labels}" is not a CSV file, so Holdout cannot count the rows the program must report in "${scoring.program.rows.key}"; give their number`;
        issues.push({ file: 'competition.yaml', field: 'scoring.program.label_rows', message });
        break;
      }
    }
  }

  let programCommand: string[] | undefined;
  if (scoring?.program) {
    const checked = await checkScoringProgram(root, tree, scoring.program);
    issues.push(...checked.issues);
    programCommand = checked.command;
  }

  const rawDescription = record['description'];
  const description = typeof rawDescription === 'string' ? await readDescription(root, rawDescription, tree, issues) : '';

  if (issues.length > 0 || !parsed.success) throw new BundleError(issues);
  const config: CompetitionConfig = { ...parsed.data, description };
  if (config.scoring.program && programCommand) config.scoring = { ...config.scoring, program: { ...config.scoring.program, command: programCommand } };
  return { root, config, files: tree.files };
}
