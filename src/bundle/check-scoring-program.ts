import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { ScoringProgram } from '../domain/competition.js';
import type { BundleIssue } from './bundle-error.js';
import { pathIssue } from './check-data.js';
import { describeValue } from './fields.js';
import { splitCommand } from '../domain/split-command.js';
import type { BundleTree } from './walk-bundle.js';

/** Where the command of a Codabench (`metadata.yaml`) or CodaLab (`metadata`) scoring program is. */
export const metadataFiles = ['metadata.yaml', 'metadata'] as const;

/** The placeholders a scoring program's command may use, as Codabench and CodaLab define them. */
export const programPlaceholders = ['program', 'input', 'output'] as const;

const placeholder = /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g;

/** The first placeholder in `argv` that is not `$program`, `$input` or `$output`, if any. */
export function unknownPlaceholder(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    for (const match of arg.matchAll(placeholder)) {
      if (!(programPlaceholders as readonly string[]).includes(match[1] as string)) return match[0];
    }
  }
  return undefined;
}

/**
 * Checks a scoring program's folder and finds its command: the one in `competition.yaml`, else
 * the `command:` of the folder's `metadata.yaml` or `metadata` (YAML both).
 * @returns the command as argv (undefined when there is none to use) and the issues found.
 */
export async function checkScoringProgram(root: string, tree: BundleTree, program: ScoringProgram): Promise<{ command?: string[]; issues: BundleIssue[] }> {
  const folderIssue = pathIssue(tree, program.dir, 'folder');
  if (folderIssue !== undefined) return { issues: [{ file: 'competition.yaml', field: 'scoring.program.path', message: folderIssue }] };
  let command = program.command;
  let source: BundleIssue = { file: 'competition.yaml', field: 'scoring.program.command', message: '' };
  if (command.length === 0) {
    const name = metadataFiles.find((file) => tree.files.includes(`${program.dir}/${file}`));
    if (name === undefined) {
      const message = `required: the program folder "${program.dir}" has no ${metadataFiles.join(' or ')} file with a command; give one here or add that file`;
      return { issues: [{ ...source, message }] };
    }
    source = { file: `${program.dir}/${name}`, field: 'command', message: '' };
    const read = await readMetadataCommand(path.join(root, program.dir, name));
    if (typeof read === 'string') return { issues: [{ ...source, message: read }] };
    command = read;
  }
  const unknown = unknownPlaceholder(command);
  if (unknown !== undefined) {
    const message = `uses ${unknown}; a scoring program's command may use ${programPlaceholders.map((p) => `$${p}`).join(', ')}`;
    return { issues: [{ ...source, message }] };
  }
  return { command, issues: [] };
}

/**
 * The command a program folder's `metadata.yaml` or `metadata` gives, as argv; or why there is none.
 * @param dir - the program folder on disk.
 */
export async function metadataCommand(dir: string): Promise<string[] | string> {
  for (const name of metadataFiles) {
    const command = await readMetadataCommand(path.join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (command !== undefined) return command;
  }
  return `no ${metadataFiles.join(' or ')} file in ${dir}`;
}

/** The `command:` of a metadata file as argv, or why there is none. */
async function readMetadataCommand(file: string): Promise<string[] | string> {
  const doc = parseDocument(await readFile(file, 'utf8'), { uniqueKeys: true });
  if (doc.errors.length > 0) return `invalid YAML: ${(doc.errors[0]?.message ?? '').split('\n')[0]}`;
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const given = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)['command'] : undefined;
  if (Array.isArray(given) && given.length > 0 && given.every((arg) => typeof arg === 'string' && arg !== '')) return given as string[];
  if (typeof given !== 'string') return `expected a command such as "python3 $program/score.py $input $output", got ${given === undefined ? 'none' : describeValue(given)}`;
  const split = splitCommand(given);
  return split.ok ? split.argv : `the command ${split.message}: ${describeValue(given)}`;
}
