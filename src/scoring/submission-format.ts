import type { FileHandle } from 'node:fs/promises';
import { CsvSyntaxError, readCsv } from './csv-reader.js';
import { IdIndex } from './id-index.js';
import { clip } from './parse-number.js';
import { ScoringError } from './scoring-error.js';

/** What a predictions file must match: the format's header and ids, indexed for lookups. */
export interface SubmissionFormat {
  header: readonly string[];
  /** Position of the id column in `header`. */
  idColumn: number;
  /** The ids in the format's order: id → position, and position → id. */
  index: IdIndex;
  /** Per column of `header`: every format value parses as a finite number (false for the id column). */
  numeric: readonly boolean[];
}

/**
 * Reads the host's submission format CSV from an open file of `size` bytes; `path` names it in messages.
 * @throws ScoringError when it is not a usable format: no id column, duplicate columns or ids,
 * ragged rows, no rows, invalid CSV.
 */
export async function readSubmissionFormat(handle: FileHandle, size: number, path: string, idColumnName: string): Promise<SubmissionFormat> {
  let header: string[] | undefined;
  let idColumn = -1;
  let numeric: boolean[] = [];
  let unsure: number[] = []; // columns still numeric, the only ones worth parsing
  const index = new IdIndex();
  const fail = (message: string): never => {
    throw new ScoringError(`submission format ${path}: ${message}`);
  };
  try {
    await readCsv(handle, size, (row) => {
      if (header === undefined) {
        header = row.texts();
        idColumn = header.indexOf(idColumnName);
        if (idColumn < 0) fail(`no id column ${JSON.stringify(idColumnName)} in header ${JSON.stringify(header)}`);
        if (new Set(header).size !== header.length) fail(`header ${JSON.stringify(header)} repeats a column`);
        numeric = header.map((_, column) => column !== idColumn);
        unsure = numeric.flatMap((yes, column) => (yes ? [column] : []));
        return;
      }
      if (row.count !== header.length) fail(`line ${row.line} has ${row.count} fields, expected ${header.length}`);
      if (index.add(row.bytes, row.starts[idColumn] as number, row.ends[idColumn] as number) !== -1) {
        fail(`line ${row.line} repeats id ${JSON.stringify(clip(row.text(idColumn)))}`);
      }
      for (let k = 0; k < unsure.length; k++) {
        const column = unsure[k] as number;
        if (Number.isNaN(row.number(column))) {
          numeric[column] = false;
          unsure = unsure.filter((c) => c !== column);
          k--;
        }
      }
    });
  } catch (error) {
    if (error instanceof CsvSyntaxError) fail(error.message);
    throw error;
  }
  if (header === undefined) return fail('the file is empty');
  if (index.size === 0) fail('no rows after the header');
  return { header, idColumn, index, numeric };
}

/** How many format rows were never seen (a zero flag), with the first few ids, in format order. */
export function countMissing(seen: ArrayLike<number>, index: IdIndex): { count: number; examples: string } | undefined {
  let count = 0;
  const examples: string[] = [];
  for (let row = 0; row < seen.length; row++) {
    if (seen[row] !== 0) continue;
    count++;
    if (examples.length < 3) examples.push(JSON.stringify(clip(index.idAt(row), 40)));
  }
  return count === 0 ? undefined : { count, examples: examples.join(', ') };
}
