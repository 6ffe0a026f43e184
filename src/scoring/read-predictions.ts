import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CsvError } from 'csv-parse';
import { ColumnBuilder } from './column-builder.js';
import { forEachCsvRecord, maxRecordBytes } from './csv-records.js';
import type { MetricValues } from './metrics/metric.js';
import { formatBytes } from './open-predictions.js';
import { clip, describeNotANumber, parseNumber } from './parse-number.js';
import type { ColumnRule, ScoringPlan } from './plan-scoring.js';
import { InvalidOutputError } from './scoring-error.js';
import { countMissing, type SubmissionFormat } from './submission-format.js';
import { NotTextError, Utf8Guard } from './utf8-guard.js';

export type PredictionsResult =
  | { ok: true; columns: ReadonlyMap<string, MetricValues> }
  | { ok: false; message: string };

/**
 * Streams an opened predictions file and checks it against the submission format, keeping only the
 * columns metrics read (by format position).
 * @remarks Memory is a few typed arrays of the format's length plus the kept text columns; nothing
 * holds the file. The first problem found ends the read, and its message names the line.
 */
export async function readPredictions(
  handle: FileHandle,
  size: number,
  name: string,
  format: SubmissionFormat,
  plan: ScoringPlan,
): Promise<PredictionsResult> {
  const n = format.ids.length;
  const width = format.header.length;
  const { rules } = plan;
  const firstLine = new Uint32Array(n);
  const kept = rules.map((rule) => {
    if (!rule.keep) return undefined;
    return rule.numeric ? new Float64Array(n) : new ColumnBuilder(n);
  });
  let headerSeen = false;
  let dataRows = 0;
  const reject = (message: string): never => {
    throw new InvalidOutputError(message);
  };

  const onRecord = (record: string[], line: number): void => {
    if (!headerSeen) {
      headerSeen = true;
      const problem = describeHeaderMismatch(format.header, record);
      if (problem !== undefined) reject(problem);
      return;
    }
    if (record.length !== width) {
      const header = clip(format.header.join(','));
      reject(`line ${line} has ${record.length} field(s); expected ${width}, as in the header (${header})`);
    }
    const id = record[format.idColumn] as string;
    const row = format.index.find(id, dataRows++);
    if (row < 0) return reject(`line ${line}: id ${JSON.stringify(clip(id))} is not in the submission format`);
    const first = firstLine[row] as number;
    if (first !== 0) {
      reject(`line ${line}: id ${JSON.stringify(clip(id))} appears again (first on line ${first}); each id must appear once`);
    }
    firstLine[row] = line;
    for (let column = 0; column < width; column++) {
      const rule = rules[column];
      if (rule === undefined || column === format.idColumn) continue;
      const text = record[column] as string;
      if (!rule.numeric) {
        (kept[column] as ColumnBuilder | undefined)?.set(row, text);
        continue;
      }
      const value = parseNumber(text);
      const problem = describeBadNumber(rule, value, text);
      if (problem !== undefined) reject(`line ${line}, column ${JSON.stringify(format.header[column])}: ${problem}`);
      const numbers = kept[column];
      if (numbers instanceof Float64Array) numbers[row] = value;
    }
  };

  try {
    const bytes = Readable.from(readChunks(handle, size), { objectMode: false });
    await forEachCsvRecord(bytes, onRecord, new Utf8Guard());
  } catch (error) {
    if (error instanceof InvalidOutputError) return { ok: false, message: error.message };
    if (error instanceof NotTextError) {
      const what = error.byte === 0 ? 'a NUL byte' : `byte 0x${error.byte.toString(16).padStart(2, '0')}`;
      const line = await lineAt(handle, error.offset);
      return { ok: false, message: `${name} is not UTF-8 text: ${what} on line ${line} (binary data?); write a UTF-8 CSV` };
    }
    if (error instanceof CsvError) {
      const message =
        error.code === 'CSV_MAX_RECORD_SIZE'
          ? `line ${String(error['lines'])} is longer than ${formatBytes(maxRecordBytes)}`
          : error.message;
      return { ok: false, message: `${name} is not a valid CSV file: ${message}` };
    }
    throw error;
  }
  if (!headerSeen) {
    return { ok: false, message: `${name} has no header line; the first line must be ${clip(format.header.join(','))}` };
  }
  const missing = countMissing(firstLine, format.ids);
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

/** What is wrong with a value in a numeric column, or undefined when nothing is. */
function describeBadNumber(rule: ColumnRule, value: number, text: string): string | undefined {
  if (value !== value) return `${describeNotANumber(text)}; expected a number`;
  if (rule.wholeNumbers && !Number.isInteger(value)) return `${clip(text)} is not a class label; expected a whole number`;
  if (rule.probabilityFor !== undefined && !(value >= 0 && value <= 1)) {
    return `${clip(text)} is outside [0, 1]; ${rule.probabilityFor} needs probabilities`;
  }
  return undefined;
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

/**
 * The first `size` bytes of the file, in 1 MiB chunks.
 * @remarks Not `handle.createReadStream`: destroying that stream (as a failed pipeline does) closes
 * the handle, which the error path still reads. Stopping at `size` ignores anything appended later.
 */
async function* readChunks(handle: FileHandle, size: number): AsyncGenerator<Buffer> {
  for (let position = 0; position < size; ) {
    const buffer = Buffer.allocUnsafe(Math.min(1 << 20, size - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
  }
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
