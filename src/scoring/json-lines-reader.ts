import type { FileHandle } from 'node:fs/promises';
import { maxRecordBytes, type RowHandler } from './csv-reader.js';
import { CsvRow } from './csv-row.js';
import { clip } from './parse-number.js';
import { InvalidOutputError } from './scoring-error.js';

export interface JsonLinesReadOptions {
  /** Sees each chunk of bytes as read, before any of its rows (e.g. a UTF-8 check that throws). */
  checkChunk?: (chunk: Buffer) => void;
  /** Bytes read at a time. @defaultValue 1 MiB */
  chunkBytes?: number;
}

const LF = 10;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Reads a JSON lines file (one object per line, keyed by `header`'s names) and hands each object
 * to `onRow` as a CSV record of the header's columns, in the header's order, so that the CSV
 * checks apply unchanged. The first record handed over is `header` itself.
 *
 * @remarks Numbers are passed on as their JavaScript text (`1e-7`), strings as written. Blank lines
 * are skipped but counted, a UTF-8 BOM and `\r\n` line ends are accepted. Memory is bounded by one
 * chunk and one line.
 * @throws InvalidOutputError naming the line: invalid JSON, not an object, a missing or unknown
 * key, a value that is neither a number nor a string, a line over {@link maxRecordBytes}; and
 * whatever `onRow` or `checkChunk` throws.
 */
export async function readJsonLines(handle: FileHandle, size: number, header: readonly string[], onRow: RowHandler, options: JsonLinesReadOptions = {}): Promise<void> {
  const row = new CsvRow();
  const emit = (values: readonly string[], line: number): void => {
    const bytes = Buffer.from(values.join(''), 'utf8');
    row.reset(bytes, line);
    let at = 0;
    for (const value of values) {
      const end = at + Buffer.byteLength(value, 'utf8');
      row.push(at, end);
      at = end;
    }
    row.source = bytes;
    row.recordStart = 0;
    row.recordEnd = bytes.length;
    onRow(row);
  };
  emit(header, 0);

  const chunkBytes = options.chunkBytes ?? 1 << 20;
  const chunk = Buffer.allocUnsafe(chunkBytes);
  let pending: Buffer = Buffer.alloc(0);
  let position = 0;
  let line = 0;
  const handleLine = (bytes: Buffer): void => {
    line++;
    if (line === 1 && bytes.subarray(0, 3).equals(BOM)) bytes = bytes.subarray(3);
    const text = bytes.toString('utf8');
    if (text.trim() === '') return;
    emit(fieldsOf(text, header, line), line);
  };
  while (position < size) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunkBytes, size - position), position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const fresh = chunk.subarray(0, bytesRead);
    options.checkChunk?.(fresh);
    const data = pending.length === 0 ? fresh : Buffer.concat([pending, fresh]);
    let start = 0;
    for (let end = data.indexOf(LF, start); end >= 0; end = data.indexOf(LF, start)) {
      if (end - start > maxRecordBytes) throw new InvalidOutputError(`line ${line + 1} is longer than ${maxRecordBytes >> 20} MiB`);
      handleLine(data.subarray(start, end));
      start = end + 1;
    }
    pending = Buffer.from(data.subarray(start));
    if (pending.length > maxRecordBytes) throw new InvalidOutputError(`line ${line + 1} is longer than ${maxRecordBytes >> 20} MiB`);
  }
  if (pending.length > 0) handleLine(pending);
}

/** The object on `text` as the header's fields, in order. */
function fieldsOf(text: string, header: readonly string[], line: number): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidOutputError(`line ${line} is not valid JSON (${error instanceof Error ? clip(error.message, 80) : 'unreadable'}); write one object per line`);
  }
  const expected = `{${header.map((name) => JSON.stringify(name)).join(', ')}}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOutputError(`line ${line} holds ${Array.isArray(value) ? 'an array' : clip(text, 40)}; expected an object with the keys ${clip(expected)}`);
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !header.includes(key));
  if (unknown !== undefined) throw new InvalidOutputError(`line ${line} has the key ${JSON.stringify(clip(unknown))}, which is not a column of the submission format; expected the keys ${clip(expected)}`);
  return header.map((name) => {
    if (!Object.hasOwn(record, name)) throw new InvalidOutputError(`line ${line} lacks the key ${JSON.stringify(name)}; expected the keys ${clip(expected)}`);
    const field = record[name];
    if (typeof field === 'string') return field;
    if (typeof field === 'number') return String(field);
    const what = field === null ? 'null' : Array.isArray(field) ? 'an array' : typeof field;
    throw new InvalidOutputError(`line ${line}, key ${JSON.stringify(name)}: ${what}; expected a number or a string`);
  });
}
