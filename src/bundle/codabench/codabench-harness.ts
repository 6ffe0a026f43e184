import { splitCommand } from '../../domain/split-command.js';

/**
 * What Codabench's compute worker replaces in an ingestion program's command before it runs it
 * (`replace_legacy_metadata_command` for the ingestion step), in its order: the same /app paths
 * Holdout shows a harness run (`codabenchIngestionAliases`). `$hidden` names a folder only
 * scoring has, there as here.
 */
const ingestionVariables: ReadonlyArray<readonly [string, string]> = [
  ['$input', '/app/input_data'],
  ['$output', '/app/output'],
  ['$program', '/app/program'],
  ['$ingestion_program', '/app/program'],
  ['$hidden', '/app/input/ref'],
  ['$shared', '/app/shared'],
  ['$submission_program', '/app/ingested_program'],
  ['$tmp', '/app/output'],
  ['$predictions', '/app/output'],
];

/**
 * Codabench starts the ingestion program in /app/program (its own folder) with unbuffered
 * Python; a Holdout run starts in the code folder, so a shell moves there first and then runs the
 * command's words as they are ("$@": nothing in them is expanded again).
 */
const inProgramFolder = ['sh', '-c', 'export PYTHONUNBUFFERED=1; cd /app/program && exec "$@"', 'ingestion'];

/** The Holdout `harness:` for an ingestion program, or why it cannot be one (a note for the host). */
export type CodabenchHarness = { harness: Record<string, unknown>; note: string } | { problem: string };

/**
 * An ingestion program (`folder`, its metadata.yaml parsed as `metadata`) as a Holdout harness:
 * its files, its command with Codabench's variables replaced and split as Codabench splits it
 * (shell words, no shell), run in /app/program, with the participant's code at
 * /app/ingested_program (writable, as Codabench mounts it). Pure.
 */
export function codabenchHarness(folder: string, metadata: unknown): CodabenchHarness {
  const command = typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? (metadata as Record<string, unknown>)['command'] : undefined;
  if (typeof command !== 'string' || command.trim() === '') {
    return { problem: `ingestion program "${folder}": no command in its metadata.yaml (Codabench refuses such a program too); write a harness: in competition.yaml` };
  }
  let line = command;
  for (const [variable, value] of ingestionVariables) line = line.replaceAll(variable, value);
  const split = splitCommand(line);
  if (!split.ok) return { problem: `ingestion program "${folder}": its command ${split.message}; write a harness: in competition.yaml` };
  const left = split.argv.find((a) => /\$[A-Za-z{]/.test(a));
  if (left !== undefined) return { problem: `ingestion program "${folder}": its command uses "${left}", which Codabench does not replace; write a harness: in competition.yaml` };
  return {
    harness: { files: `${folder}/`, command: [...inProgramFolder, ...split.argv], code: 'writable' },
    note: `ingestion program "${folder}": runs as the harness, as Codabench runs it (${JSON.stringify(command.trim())} in /app/program, the code at /app/ingested_program); a submission's own metadata command is not run beside it`,
  };
}
