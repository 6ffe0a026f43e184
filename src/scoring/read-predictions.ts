import type { FileHandle } from 'node:fs/promises';
import type { PredictionsFormat } from '../domain/competition.js';
import { ColumnBuilder } from './column-builder.js';
import { CsvSyntaxError, maxRecordBytes, readCsv } from './csv-reader.js';
import type { CsvRow } from './csv-row.js';
import { readJsonLines } from './json-lines-reader.js';
import type { MetricValues } from './metrics/metric.js';
import { parseRle } from './metrics/rle-mask.js';
import { formatBytesExact } from '../domain/format-bytes.js';
import { clip, describeNotANumber } from './parse-number.js';
import type { ColumnRule, ScoringPlan } from './plan-scoring.js';
import { InvalidOutputError } from './scoring-error.js';
import { countMissing, type SubmissionFormat } from './submission-format.js';
import { NotTextError, Utf8Check } from './utf8-check.js';

export type PredictionsResult =
  | { ok: true; columns: ReadonlyMap<string, MetricValues> }
  | { ok: false; message: string };

/**
 * Streams an opened predictions file (CSV, or JSON lines keyed by the format's columns) and checks
 * it against the submission format, keeping only the columns metrics read (by format position).
 * @remarks Memory is a few typed arrays of the format's length plus the kept text columns; nothing
 * holds the file. The first problem found ends the read, and its message names the line.
 */
export async function readPredictions(
  handle: FileHandle,
  size: number,
  name: string,
  format: SubmissionFormat,
  plan: ScoringPlan,
  predictionsFormat: PredictionsFormat = 'csv',
): Promise<PredictionsResult> {
  const n = format.index.size;
  const width = format.header.length;
  const { rules } = plan;
  const idColumn = format.idColumn;
  const firstLine = new Uint32Array(n);
  const kept = rules.map((rule) => {
    if (!rule.keep) return undefined;
    return rule.numeric ? new Float64Array(n) : new ColumnBuilder(n);
  });
  const checked = rules.flatMap((rule, column) => (column !== idColumn && (rule.numeric || rule.keep) ? [column] : []));
  let headerSeen = false;
  let dataRows = 0;
  const reject = (message: string): never => {
    throw new InvalidOutputError(message);
  };

  const onRecord = (record: CsvRow): void => {
    const line = record.line;
    if (!headerSeen) {
      headerSeen = true;
      const problem = describeHeaderMismatch(format.header, record.texts());
      if (problem !== undefined) reject(problem);
      return;
    }
    if (record.count !== width) {
      const header = clip(format.header.join(','));
      reject(`line ${line} has ${record.count} field(s); expected ${width}, as in the header (${header})`);
    }
    const row = format.index.find(record.bytes, record.starts[idColumn] as number, record.ends[idColumn] as number, dataRows++);
    if (row < 0) return reject(`line ${line}: id ${JSON.stringify(clip(record.text(idColumn)))} is not in the submission format`);
    const first = firstLine[row] as number;
    if (first !== 0) {
      reject(`line ${line}: id ${JSON.stringify(clip(record.text(idColumn)))} appears again (first on line ${first}); each id must appear once`);
    }
    firstLine[row] = line;
    for (let k = 0; k < checked.length; k++) {
      const column = checked[k] as number;
      const rule = rules[column] as ColumnRule;
      const values = kept[column];
      if (!rule.numeric) {
        const mask = rule.maskFor === undefined ? undefined : parseRle(record.text(column));
        if (typeof mask === 'string') reject(`line ${line}, column ${JSON.stringify(format.header[column])}: the mask ${mask} (${rule.maskFor} needs "start length ..." runs, 1-based; empty for no pixels)`);
        (values as ColumnBuilder).set(row, record, column);
        continue;
      }
      const value = record.number(column);
      if (value !== value || (rule.wholeNumbers && !Number.isInteger(value)) || (rule.probabilityFor !== undefined && !(value >= 0 && value <= 1)) || (rule.indicatorFor !== undefined && value !== 0 && value !== 1)) {
        reject(`line ${line}, column ${JSON.stringify(format.header[column])}: ${describeBadNumber(rule, value, record.text(column))}`);
      }
      if (values !== undefined) (values as Float64Array)[row] = value;
    }
  };

  const utf8 = new Utf8Check();
  try {
    const options = { checkChunk: (chunk: Buffer) => utf8.check(chunk) };
    await (predictionsFormat === 'jsonl' ? readJsonLines(handle, size, format.header, onRecord, options) : readCsv(handle, size, onRecord, options));
    utf8.finish();
  } catch (error) {
    if (error instanceof InvalidOutputError) return { ok: false, message: error.message };
    if (error instanceof NotTextError) {
      const what = error.byte === 0 ? 'a NUL byte' : `byte 0x${error.byte.toString(16).padStart(2, '0')}`;
      const line = await lineAt(handle, error.offset);
      return { ok: false, message: `${name} is not UTF-8 text: ${what} on line ${line} (binary data?); write a UTF-8 CSV` };
    }
    if (error instanceof CsvSyntaxError) {
      const message = error.code === 'CSV_MAX_RECORD_SIZE' ? `line ${error.line} is longer than ${formatBytesExact(maxRecordBytes)}` : error.message;
      return { ok: false, message: `${name} is not a valid CSV file: ${message}` };
    }
    throw error;
  }
  if (!headerSeen) {
    return { ok: false, message: `${name} has no header line; the first line must be ${clip(format.header.join(','))}` };
  }
  const missing = countMissing(firstLine, format.index);
  if (missing !== undefined) {
    return {
      ok: false,
      message: `${missing.count} of the ${n} ids of the submission format are missing from ${name}, e.g. ${missing.examples}`,
    };
  }
  const columns = new Map<string, MetricValues>();
  kept.forEach((values, column) => {
    if (values !== undefined) {
      columns.set(format.header[column] as string, values instanceof ColumnBuilder ? values.values() : values);
    }
  });
  return { ok: true, columns };
}

/** What is wrong with a value of a numeric column, called once it failed one of the checks in `readPredictions`. */
function describeBadNumber(rule: ColumnRule, value: number, text: string): string {
  if (value !== value) return `${describeNotANumber(text)}; expected a number`;
  if (rule.indicatorFor !== undefined && value !== 0 && value !== 1) return `${clip(text)} is not 0 or 1; ${rule.indicatorFor} needs a 0/1 indicator per target column`;
  if (rule.wholeNumbers && !Number.isInteger(value)) return `${clip(text)} is not a class label; expected a whole number`;
  return `${clip(text)} is outside [0, 1]; ${rule.probabilityFor ?? 'the metric'} needs probabilities`;
}

/** Says how a header differs from the format's, or undefined when it is the same. */
function describeHeaderMismatch(expected: readonly string[], got: readonly string[]): string | undefined {
  if (got.length === expected.length && got.every((name, at) => name === expected[at])) return undefined;
  const missing = expected.filter((name) => !got.includes(name));
  const extra = got.filter((name) => !expected.includes(name));
  const list = (names: string[]) => names.slice(0, 3).map((c) => JSON.stringify(clip(c, 30))).join(', ');
  const hint =
    missing.length > 0
      ? `missing ${list(missing)}`
      : extra.length > 0
        ? `unexpected ${list(extra)}`
        : 'same columns in another order, or repeated';
  const show = (names: readonly string[]) => JSON.stringify(clip(names.join(','), 200));
  return `the header must be the submission format's: expected ${show(expected)}, got ${show(got)} (${hint})`;
}

/** 1-based line of byte `offset`, by counting newlines before it (only on the error path). */
async function lineAt(handle: FileHandle, offset: number): Promise<number> {
  const buffer = Buffer.alloc(1 << 20);
  let line = 1;
  for (let position = 0; position < offset; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, offset - position), position);
    if (bytesRead === 0) break;
    for (let at = buffer.indexOf(10, 0); at !== -1 && at < bytesRead; at = buffer.indexOf(10, at + 1)) line++;
    position += bytesRead;
  }
  return line;
}
