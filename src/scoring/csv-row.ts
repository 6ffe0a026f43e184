import { parseNumberBytes } from './parse-number.js';

/**
 * One CSV record as byte ranges, so that a reader can look ids up, parse numbers and copy rows
 * without making a string per field.
 * @remarks One object is reused for every record of a file: it is valid only during the callback
 * that receives it. Fields are unquoted (`"a""b"` reads as `a"b`); a record with a quoted field
 * has its fields copied into a scratch buffer, so `bytes` is not always the file's buffer.
 */
export class CsvRow {
  /** Holds every field's bytes. */
  bytes: Buffer = Buffer.alloc(0);
  /** Start of each field in `bytes` (first `count` entries). */
  starts = new Int32Array(16);
  /** End (exclusive) of each field in `bytes`. */
  ends = new Int32Array(16);
  count = 0;
  /** Physical line the record starts on (the header is line 1; blank lines count). */
  line = 0;
  /** The record as written, without its line end: `source[recordStart, recordEnd)`. */
  source: Buffer = this.bytes;
  recordStart = 0;
  recordEnd = 0;

  /** Starts a record: no fields yet. */
  reset(bytes: Buffer, line: number): void {
    this.bytes = bytes;
    this.count = 0;
    this.line = line;
  }

  push(start: number, end: number): void {
    if (this.count === this.starts.length) {
      const starts = new Int32Array(this.count * 2);
      const ends = new Int32Array(this.count * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[this.count] = start;
    this.ends[this.count++] = end;
  }

  /** A line with nothing on it, which readers skip (csv-parse reads it as one empty field). */
  get blank(): boolean {
    return this.count === 1 && this.starts[0] === this.ends[0];
  }

  /** Field `field` decoded as UTF-8. */
  text(field: number): string {
    return this.bytes.toString('utf8', this.starts[field], this.ends[field]);
  }

  /** Every field decoded. */
  texts(): string[] {
    return Array.from({ length: this.count }, (_, field) => this.text(field));
  }

  /** Field `field` as a finite number, the way `parseNumber` reads its text; NaN otherwise. */
  number(field: number): number {
    return parseNumberBytes(this.bytes, this.starts[field] as number, this.ends[field] as number);
  }

  /** Whether field `field` holds exactly `expected`. */
  equals(field: number, expected: Uint8Array): boolean {
    const start = this.starts[field] as number;
    if ((this.ends[field] as number) - start !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) if (this.bytes[start + i] !== expected[i]) return false;
    return true;
  }
}
