import { createReadStream } from 'node:fs';
import { CsvError } from 'csv-parse';
import { forEachCsvRecord } from './csv-records.js';
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
  index: ReadonlyMap<string, number>;
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
  const ids: string[] = [];
  const index = new Map<string, number>();
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
      if (index.has(id)) fail(`line ${line} repeats id ${JSON.stringify(clip(id))}`);
      index.set(id, ids.length);
      ids.push(id);
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
  if (ids.length === 0) fail('no rows after the header');
  return { header, idColumn, ids, index, numeric };
}

/** An error from opening or reading a file (missing, permissions...), as opposed to a bug. */
export function isFileError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && 'syscall' in error;
}
