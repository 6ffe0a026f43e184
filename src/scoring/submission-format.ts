import { createReadStream } from 'node:fs';
import { CsvError } from 'csv-parse';
import { forEachCsvRecord } from './csv-records.js';
import { IdIndex } from './id-index.js';
import { clip, parseNumber } from './parse-number.js';
import { ScoringError } from './scoring-error.js';

/** What a predictions file must match: the format's header and ids, indexed for lookups. */
export interface SubmissionFormat {
  header: readonly string[];
  /** Position of the id column in `header`. */
  idColumn: number;
  /** Ids in the format's order. */
  ids: readonly string[];
  /** id → position in `ids`. */
  index: IdIndex;
  /** Per column of `header`: every format value parses as a finite number (false for the id column). */
  numeric: readonly boolean[];
}

/**
 * Reads the host's submission format CSV.
 * @throws ScoringError when it is not a usable format: no id column, duplicate columns or ids,
 * ragged rows, no rows, unreadable file.
 */
export async function readSubmissionFormat(path: string, idColumnName: string): Promise<SubmissionFormat> {
  let header: string[] | undefined;
  let idColumn = -1;
  let numeric: boolean[] = [];
  const index = new IdIndex();
  const fail = (message: string): never => {
    throw new ScoringError(`submission format ${path}: ${message}`);
  };
  try {
    await forEachCsvRecord(createReadStream(path, { highWaterMark: 1 << 20 }), (record, line) => {
      if (header === undefined) {
        header = record;
        idColumn = record.indexOf(idColumnName);
        if (idColumn < 0) fail(`no id column ${JSON.stringify(idColumnName)} in header ${JSON.stringify(record)}`);
        if (new Set(record).size !== record.length) fail(`header ${JSON.stringify(record)} repeats a column`);
        numeric = record.map((_, column) => column !== idColumn);
        return;
      }
      if (record.length !== header.length) fail(`line ${line} has ${record.length} fields, expected ${header.length}`);
      const id = record[idColumn] as string;
      if (index.add(id) !== -1) fail(`line ${line} repeats id ${JSON.stringify(clip(id))}`);
      for (let column = 0; column < record.length; column++) {
        if (numeric[column] && Number.isNaN(parseNumber(record[column] as string))) {
          numeric[column] = false;
        }
      }
    });
  } catch (error) {
    if (error instanceof ScoringError) throw error;
    if (error instanceof CsvError || isFileError(error)) fail((error as Error).message);
    throw error;
  }
  if (header === undefined) return fail('the file is empty');
  if (index.size === 0) fail('no rows after the header');
  return { header, idColumn, ids: index.ids, index, numeric };
}

/** An error from opening or reading a file (missing, permissions...), as opposed to a bug. */
export function isFileError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && 'syscall' in error;
}

/** How many format rows were never seen (a zero flag), with the first few ids, in format order. */
export function countMissing(
  seen: ArrayLike<number>,
  ids: readonly string[],
): { count: number; examples: string } | undefined {
  let count = 0;
  const examples: string[] = [];
  for (let row = 0; row < seen.length; row++) {
    if (seen[row] !== 0) continue;
    count++;
    if (examples.length < 3) examples.push(JSON.stringify(clip(ids[row] as string, 40)));
  }
  return count === 0 ? undefined : { count, examples: examples.join(', ') };
}
