import { createReadStream } from 'node:fs';
import { CsvError } from 'csv-parse';
import type { SplitSpec } from '../domain/competition.js';
import { ColumnBuilder } from './column-builder.js';
import { forEachCsvRecord } from './csv-records.js';
import type { MetricValues } from './metrics/metric.js';
import { clip } from './parse-number.js';
import { ScoringError } from './scoring-error.js';
import { seededPublic } from './split-hash.js';
import { countMissing, isFileError, type SubmissionFormat } from './submission-format.js';

/** Row parts, by position in the submission format. */
export const PUBLIC = 1;
export const PRIVATE = 2;

export interface Labels {
  /** Label values of each requested column, by format position. */
  columns: ReadonlyMap<string, MetricValues>;
  /** PUBLIC or PRIVATE for each format position. */
  parts: Uint8Array;
}

/**
 * Reads the host's labels: one row per id of the submission format, with the `columns` metrics need
 * and, for a column split, the split column.
 * @throws ScoringError for anything wrong in them: missing columns, unknown, repeated or missing
 * ids, a split value that is neither the public nor the private one.
 */
export async function readLabels(
  path: string,
  idColumnName: string,
  format: SubmissionFormat,
  columns: readonly string[],
  split: SplitSpec,
): Promise<Labels> {
  const n = format.ids.length;
  const parts = new Uint8Array(n);
  const builders = columns.map(() => new ColumnBuilder(n));
  const fail = (message: string): never => {
    throw new ScoringError(`labels ${path}: ${message}`);
  };
  let width = -1;
  let idAt = -1;
  let splitAt = -1;
  let valueAt: number[] = [];
  let dataRows = 0; // a file in the format's order finds each id at this position
  try {
    await forEachCsvRecord(createReadStream(path, { highWaterMark: 1 << 20 }), (record, line) => {
      if (width < 0) {
        const find = (name: string): number => {
          const at = record.indexOf(name);
          return at >= 0 ? at : fail(`no column ${JSON.stringify(name)} in header ${JSON.stringify(record)}`);
        };
        width = record.length;
        idAt = find(idColumnName);
        valueAt = columns.map(find);
        if (split.kind === 'column') splitAt = find(split.column);
        return;
      }
      if (record.length !== width) fail(`line ${line} has ${record.length} fields, expected ${width}`);
      const id = record[idAt] as string;
      const row = format.index.find(id, dataRows++);
      if (row < 0) return fail(`line ${line}: id ${JSON.stringify(clip(id))} is not in the submission format`);
      if (parts[row] !== 0) fail(`line ${line} repeats id ${JSON.stringify(clip(id))}`);
      for (let c = 0; c < builders.length; c++) {
        (builders[c] as ColumnBuilder).set(row, record[valueAt[c] as number] as string);
      }
      if (split.kind === 'column') {
        const value = record[splitAt] as string;
        if (value === split.publicValue) parts[row] = PUBLIC;
        else if (value === split.privateValue) parts[row] = PRIVATE;
        else {
          fail(
            `line ${line}: ${split.column} is ${JSON.stringify(clip(value))}; expected ` +
              `${JSON.stringify(split.publicValue)} or ${JSON.stringify(split.privateValue)}`,
          );
        }
      } else {
        parts[row] = PRIVATE; // marks the row seen; the seeded split below decides the part
      }
    });
  } catch (error) {
    if (error instanceof ScoringError) throw error;
    if (error instanceof CsvError || isFileError(error)) fail((error as Error).message);
    throw error;
  }
  if (width < 0) fail('the file is empty');
  const missing = countMissing(parts, format.ids);
  if (missing) fail(`${missing.count} ids of the submission format have no label, e.g. ${missing.examples}`);
  if (split.kind === 'seeded') {
    const isPublic = seededPublic(split.seed, split.publicFraction);
    for (let row = 0; row < n; row++) if (isPublic(format.ids[row] as string)) parts[row] = PUBLIC;
  }
  return { columns: new Map(columns.map((name, c) => [name, (builders[c] as ColumnBuilder).values()])), parts };
}
