import { Writable, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';

/** Longest record accepted: far above any real row, far below what would exhaust memory. */
export const maxRecordBytes = 1 << 20;

/**
 * Receives each record with its line number (the header is line 1). Blank lines are skipped but
 * counted. Throwing stops the stream; the error is what `forEachCsvRecord` rejects with.
 * @remarks Line numbers assume no quoted field spans lines, which holds for any sane predictions file.
 */
export type RecordHandler = (record: string[], line: number) => void;

/**
 * Streams `source` through csv-parse and calls `onRecord` for each record, synchronously, so that
 * memory stays bounded by what the handler keeps. `guard` (a byte filter such as a UTF-8 check)
 * runs before the parser.
 * @remarks Records keep their own length (ragged rows are the handler's to judge); a UTF-8 BOM is
 * dropped; csv-parse's own errors (unclosed quote, record too long) reject as `CsvError`.
 */
export async function forEachCsvRecord(source: Readable, onRecord: RecordHandler, guard?: Transform): Promise<void> {
  const parser = parse({ bom: true, relax_column_count: true, max_record_size: maxRecordBytes });
  let line = 0;
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 256,
    write(record: string[], _encoding, callback) {
      line++;
      // A blank line parses as one empty field ("\r" when the file mixes line endings).
      if (record.length === 1 && (record[0] === '' || record[0] === '\r')) {
        callback();
        return;
      }
      try {
        onRecord(record, line);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  if (guard) await pipeline(source, guard, parser, sink);
  else await pipeline(source, parser, sink);
}
