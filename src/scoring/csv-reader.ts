import type { FileHandle } from 'node:fs/promises';
import { CsvError, parse } from 'csv-parse/sync';
import { CsvRow } from './csv-row.js';

/** Longest record accepted: far above any real row, far below what would exhaust memory. */
export const maxRecordBytes = 1 << 20;

/**
 * The file is not valid CSV (RFC 4180): a stray or unclosed quote, or a record longer than
 * {@link maxRecordBytes}. `code` and the message are csv-parse's (`CSV_QUOTE_NOT_CLOSED`,
 * `CSV_MAX_RECORD_SIZE`...), with line numbers counted from the start of the file.
 */
export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError';
  constructor(
    readonly code: string,
    message: string,
    /** Physical line of the problem. */
    readonly line: number,
  ) {
    super(message);
  }
}

/** Receives each non-blank record; throwing stops the read and is what `readCsv` rejects with. */
export type RowHandler = (row: CsvRow) => void;

export interface CsvReadOptions {
  /** Sees each chunk of bytes as read, before any of its records: e.g. a UTF-8 check that throws. */
  checkChunk?: (chunk: Buffer) => void;
  /** Bytes read at a time. @defaultValue 1 MiB */
  chunkBytes?: number;
  /** Awaited after each chunk's records: a handler that queues output can write it here. */
  afterChunk?: () => Promise<void>;
}

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Bytes the field scan stops at; all are below 45, which lets digits and letters pass on one comparison. */
const special = new Uint8Array(45);
special[COMMA] = special[QUOTE] = special[LF] = 1;
/** Whether byte `c` ends an unquoted field's run of ordinary bytes. */
const stops = (c: number): boolean => c < 45 && special[c] === 1;

/**
 * Reads the first `size` bytes of an open file as CSV and calls `onRow` for each record, the
 * header included, with memory bounded by one chunk and one record.
 *
 * @remarks Byte-level splitting on `,` and line ends (`\n` or `\r\n`; a lone `\r` is data),
 * with RFC 4180 quoted fields (`""` is a quote; commas and line ends may be quoted). Anything
 * malformed (a quote inside an unquoted field, text after a closing quote, an unclosed quote) is
 * handed to csv-parse, whose error is reported, so messages are csv-parse's. A UTF-8 BOM is
 * dropped; blank lines are skipped but counted; records keep their own length (ragged rows are
 * the handler's to judge). Not `handle.createReadStream`: destroying that stream (as a failed
 * pipeline does) closes the handle, which callers still use on their error paths.
 * @throws CsvSyntaxError for invalid CSV; whatever `onRow` or `checkChunk` throws.
 */
export async function readCsv(handle: FileHandle, size: number, onRow: RowHandler, options: CsvReadOptions = {}): Promise<void> {
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  const buffer = Buffer.allocUnsafe(maxRecordBytes + chunkBytes + 8);
  const scanner = new CsvScanner(onRow, buffer.length);
  let filled = 0;
  let position = 0;
  let start = -1; // where the first scan begins, once the BOM is looked at
  for (;;) {
    const want = Math.min(chunkBytes, size - position, buffer.length - filled);
    const { bytesRead } = want > 0 ? await handle.read(buffer, filled, want, position) : { bytesRead: 0 };
    if (bytesRead > 0) options.checkChunk?.(buffer.subarray(filled, filled + bytesRead));
    position += bytesRead;
    filled += bytesRead;
    const eof = bytesRead === 0 || position >= size;
    if (start < 0) {
      if (filled < BOM.length && !eof) continue;
      start = filled >= BOM.length && buffer.subarray(0, BOM.length).equals(BOM) ? BOM.length : 0;
    }
    const consumed = scanner.scan(buffer, start, filled, eof);
    await options.afterChunk?.();
    if (eof) return;
    start = 0;
    buffer.copyWithin(0, consumed, filled);
    filled -= consumed;
    if (filled > maxRecordBytes) throw scanner.tooLong();
  }
}

/** Splits bytes into records; keeps the line count between chunks. */
class CsvScanner {
  readonly #row = new CsvRow();
  readonly #scratch: Buffer;
  /** Lines consumed before the record being read. */
  #line = 0;

  constructor(
    private readonly onRow: RowHandler,
    scratchBytes: number,
  ) {
    this.#scratch = Buffer.allocUnsafe(scratchBytes);
  }

  /** Reads the records of `buf[pos, end)`; returns where the first incomplete one starts. */
  scan(buf: Buffer, pos: number, end: number, eof: boolean): number {
    const row = this.#row;
    while (pos < end) {
      const start = pos;
      row.reset(buf, this.#line + 1);
      let fieldStart = pos;
      let i = pos;
      for (;;) {
        while (i < end && !stops(buf[i] as number)) i++;
        if (i === end) {
          if (!eof) return start;
          const last = end > fieldStart && buf[end - 1] === CR ? end - 1 : end;
          row.push(fieldStart, last);
          this.#emit(buf, start, last, 0);
          return end;
        }
        const c = buf[i];
        if (c === COMMA) {
          row.push(fieldStart, i);
          fieldStart = ++i;
        } else if (c === LF) {
          const last = i > fieldStart && buf[i - 1] === CR ? i - 1 : i;
          row.push(fieldStart, last);
          this.#emit(buf, start, last, 1);
          pos = i + 1;
          break;
        } else {
          const next = this.#quoted(buf, start, end, eof);
          if (next < 0) return start;
          pos = next;
          break;
        }
      }
    }
    return pos;
  }

  /** The error for a record that does not end within {@link maxRecordBytes}. */
  tooLong(): CsvSyntaxError {
    const line = this.#line + 1;
    const message = `Max Record Size: record exceed the maximum number of tolerated bytes of ${maxRecordBytes} at line ${line}`;
    return new CsvSyntaxError('CSV_MAX_RECORD_SIZE', message, line);
  }

  #emit(source: Buffer, start: number, recordEnd: number, lines: number): void {
    if (recordEnd - start > maxRecordBytes) throw this.tooLong();
    const row = this.#row;
    row.source = source;
    row.recordStart = start;
    row.recordEnd = recordEnd;
    this.#line += lines;
    if (!row.blank) this.onRow(row);
  }

  /**
   * Reads a record holding a quote from `start`, unquoting its fields into the scratch buffer.
   * @returns where the next record starts, or -1 when the record goes past `end` (more bytes needed).
   */
  #quoted(buf: Buffer, start: number, end: number, eof: boolean): number {
    const row = this.#row;
    const out = this.#scratch;
    let written = 0;
    row.reset(out, this.#line + 1);
    let i = start;
    for (;;) {
      const fieldStart = written;
      if (i < end && buf[i] === QUOTE) {
        i++;
        for (;;) {
          const q = buf.indexOf(QUOTE, i);
          if (q < 0 || q >= end) return eof ? this.#malformed(buf, start, end) : -1;
          written += buf.copy(out, written, i, q);
          if (q + 1 === end && !eof) return -1;
          if (q + 1 < end && buf[q + 1] === QUOTE) {
            out[written++] = QUOTE;
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        row.push(fieldStart, written);
        if (i === end) return this.#endQuoted(buf, start, end, end);
        const c = buf[i];
        if (c === COMMA) i++;
        else if (c === LF) return this.#endQuoted(buf, start, i, i + 1);
        else if (c === CR && i + 1 < end && buf[i + 1] === LF) return this.#endQuoted(buf, start, i, i + 2);
        else if (c === CR && i + 1 === end) {
          if (!eof) return -1;
          return this.#endQuoted(buf, start, i, end); // a last line ending in a lone \r, as unquoted ones may
        } else return this.#malformed(buf, start, end);
        continue;
      }
      const from = i;
      while (i < end && !stops(buf[i] as number)) i++;
      if (i === end && !eof) return -1;
      if (i < end && buf[i] === QUOTE) return this.#malformed(buf, start, end);
      const last = i > from && buf[i - 1] === CR && (i === end || buf[i] === LF) ? i - 1 : i;
      written += buf.copy(out, written, from, last);
      row.push(fieldStart, written);
      if (i === end) return this.#endQuoted(buf, start, last, end);
      if (buf[i] === LF) return this.#endQuoted(buf, start, last, i + 1);
      i++; // a comma
    }
  }

  /** Emits a quoted record that ends at `recordEnd` (before its line end); returns `next`. */
  #endQuoted(buf: Buffer, start: number, recordEnd: number, next: number): number {
    let lines = 0;
    for (let at = buf.indexOf(LF, start); at !== -1 && at < next; at = buf.indexOf(LF, at + 1)) lines++;
    this.#emit(buf, start, recordEnd, lines);
    return next;
  }

  /**
   * Lets csv-parse read the malformed record from `start`, so that the error is its own, with
   * its line numbers moved to count from the start of the file.
   */
  #malformed(buf: Buffer, start: number, end: number): never {
    const before = this.#line;
    try {
      // Bytes, not text: csv-parse names the byte it stopped at, which decoding a cut sequence would change.
      parse(buf.subarray(start, end), {
        relax_column_count: true,
        max_record_size: maxRecordBytes,
        record_delimiter: ['\r\n', '\n'],
      });
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      const moved = error.message.replace(/\b(at|on) line (\d+)/g, (_, word: string, n: string) => `${word} line ${before + Number(n)}`);
      const line = before + (typeof error['lines'] === 'number' ? error['lines'] : 1);
      throw new CsvSyntaxError(error.code, moved, line);
    }
    throw new Error(`the CSV reader found line ${before + 1} malformed, but csv-parse reads it: a bug in the reader`);
  }
}
