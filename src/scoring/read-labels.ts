import type { FileHandle } from 'node:fs/promises';
import type { SplitSpec } from '../domain/competition.js';
import { ColumnBuilder } from './column-builder.js';
import { CsvSyntaxError, readCsv } from './csv-reader.js';
import type { MetricValues } from './metrics/metric.js';
import { clip } from './parse-number.js';
import { ScoringError } from './scoring-error.js';
import { seededPublic } from './split-hash.js';
import { countMissing, type SubmissionFormat } from './submission-format.js';

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
 * Reads the host's labels from an open file of `size` bytes (`path` names it in messages): one
 * row per id of the submission format, with the `columns` metrics need and, for a column split,
 * the split column.
 * @throws ScoringError for anything wrong in them: missing columns, unknown, repeated or missing
 * ids, a split value that is neither the public nor the private one, invalid CSV.
 */
export async function readLabels(
  handle: FileHandle,
  size: number,
  path: string,
  idColumnName: string,
  format: SubmissionFormat,
  columns: readonly string[],
  split: SplitSpec,
): Promise<Labels> {
  const n = format.index.size;
  const parts = new Uint8Array(n);
  const builders = columns.map(() => new ColumnBuilder(n));
  const fail = (message: string): never => {
    throw new ScoringError(`labels ${path}: ${message}`);
  };
  const publicValue = split.kind === 'column' ? Buffer.from(split.publicValue) : undefined;
  const privateValue = split.kind === 'column' ? Buffer.from(split.privateValue) : undefined;
  let width = -1;
  let idAt = -1;
  let splitAt = -1;
  let valueAt: number[] = [];
  let dataRows = 0; // a file in the format's order finds each id at this position
  try {
    await readCsv(handle, size, (record) => {
      if (width < 0) {
        const header = record.texts();
        const find = (name: string): number => {
          const at = header.indexOf(name);
          return at >= 0 ? at : fail(`no column ${JSON.stringify(name)} in header ${JSON.stringify(header)}`);
        };
        width = header.length;
        idAt = find(idColumnName);
        valueAt = columns.map(find);
        if (split.kind === 'column') splitAt = find(split.column);
        return;
      }
      const { line } = record;
      if (record.count !== width) fail(`line ${line} has ${record.count} fields, expected ${width}`);
      const row = format.index.find(record.bytes, record.starts[idAt] as number, record.ends[idAt] as number, dataRows++);
      if (row < 0) return fail(`line ${line}: id ${JSON.stringify(clip(record.text(idAt)))} is not in the submission format`);
      if (parts[row] !== 0) fail(`line ${line} repeats id ${JSON.stringify(clip(record.text(idAt)))}`);
      for (let c = 0; c < builders.length; c++) (builders[c] as ColumnBuilder).set(row, record, valueAt[c] as number);
      if (split.kind !== 'column') {
        parts[row] = PRIVATE; // marks the row seen; the seeded split below decides the part
      } else if (record.equals(splitAt, publicValue as Buffer)) {
        parts[row] = PUBLIC;
      } else if (record.equals(splitAt, privateValue as Buffer)) {
        parts[row] = PRIVATE;
      } else {
        fail(
          `line ${line}: ${split.column} is ${JSON.stringify(clip(record.text(splitAt)))}; expected ` +
            `${JSON.stringify(split.publicValue)} or ${JSON.stringify(split.privateValue)}`,
        );
      }
    });
  } catch (error) {
    if (error instanceof CsvSyntaxError) fail(error.message);
    throw error;
  }
  if (width < 0) fail('the file is empty');
  const missing = countMissing(parts, format.index);
  if (missing) fail(`${missing.count} ids of the submission format have no label, e.g. ${missing.examples}`);
  if (split.kind === 'whole') parts.fill(PUBLIC);
  if (split.kind === 'seeded') {
    const isPublic = seededPublic(split.seed, split.publicFraction);
    for (let row = 0; row < n; row++) if (isPublic(format.index.idAt(row))) parts[row] = PUBLIC;
  }
  return { columns: new Map(columns.map((name, c) => [name, (builders[c] as ColumnBuilder).values()])), parts };
}
