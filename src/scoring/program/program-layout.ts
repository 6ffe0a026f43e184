import type { RunAliasKind, RunLayout } from '../../domain/limits.js';

/**
 * Where a scoring program's folders appear in its run: Codabench's fixed paths. `$program`,
 * `$input` and `$output` in its command stand for these, so a program written for either
 * convention runs unchanged. The program folder (a writable copy) is the working directory.
 */
export const programLayout: Readonly<RunLayout> = Object.freeze({
  code: '/app/program',
  data: '/app/input',
  output: '/app/output',
});

/**
 * Further fixed paths scoring programs hard-code: the program again as /app/scoring_program (how
 * some run it), and an empty writable /app/shared of the scoring run's own.
 */
export const programAliases: Readonly<Record<string, RunAliasKind>> = Object.freeze({
  '/app/scoring_program': 'code',
  '/app/shared': 'scratch',
});

/** Codabench's names for its run's folders, as its programs' commands write them. */
const placeholders: Readonly<Record<string, string>> = {
  program: programLayout.code,
  input: programLayout.data,
  output: programLayout.output,
  ingestion_program: '/app/ingestion_program',
  submission_program: '/app/ingested_program',
  shared: '/app/shared',
};

const names = Object.keys(placeholders).join('|');
const pattern = new RegExp(`\\$(?:\\{(${names})\\}|(${names})(?![A-Za-z0-9_]))`, 'g');

/**
 * The command with `$program`, `$input`, `$output`, `$ingestion_program`, `$submission_program` and `$shared` (also as `${program}`...) replaced by
 * the in-run paths; any other `$word` is left as it is (the bundle loader refuses those). Pure.
 */
export function programArgv(command: readonly string[]): string[] {
  return command.map((arg) => arg.replace(pattern, (_, braced?: string, bare?: string) => placeholders[(braced ?? bare) as string] as string));
}
