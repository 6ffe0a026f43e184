import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

/** What the bundle checks need to know about a CSV file, read in one streaming pass. */
export interface CsvSummary {
  header: string[];
  /** Values of the first column, in file order. */
  ids: string[];
  /** The first id seen twice, with both lines. */
  duplicate?: { id: string; firstLine: number; line: number };
  /** The first line with an empty id. */
  emptyIdLine?: number;
  /** Distinct values of `valuesOf` (at most 20) with the first line each appears on. */
  values: Map<string, number>;
}

interface Row {
  record: string[];
  info: { lines: number };
}

/** A CSV file that cannot be parsed (ragged rows, an unclosed quote). */
export class CsvError extends Error {
  override readonly name = 'CsvError';
}

/**
 * Reads a CSV file's header, first-column ids and the distinct values of one column.
 * @param valuesOf - column whose distinct values to collect, e.g. the split column.
 * @throws CsvError when the file is empty or is not well-formed CSV.
 */
export async function summariseCsv(file: string, valuesOf?: string): Promise<CsvSummary> {
  const parser = createReadStream(file).pipe(parse({ bom: true, info: true, skip_empty_lines: true }));
  let header: string[] | undefined;
  let valueIndex = -1;
  const summary: CsvSummary = { header: [], ids: [], values: new Map() };
  const firstLines = new Map<string, number>();
  try {
    for await (const row of parser as AsyncIterable<Row>) {
      const { record, info } = row;
      if (header === undefined) {
        header = record;
        summary.header = record;
        valueIndex = valuesOf === undefined ? -1 : record.indexOf(valuesOf);
        continue;
      }
      const id = record[0] ?? '';
      if (id === '' && summary.emptyIdLine === undefined) summary.emptyIdLine = info.lines;
      const first = firstLines.get(id);
      if (first !== undefined && summary.duplicate === undefined) summary.duplicate = { id, firstLine: first, line: info.lines };
      if (first === undefined) firstLines.set(id, info.lines);
      summary.ids.push(id);
      const value = valueIndex >= 0 ? record[valueIndex] : undefined;
      if (value !== undefined && !summary.values.has(value) && summary.values.size < 20) summary.values.set(value, info.lines);
    }
  } catch (err) {
    throw new CsvError(`is not valid CSV: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (header === undefined) throw new CsvError('is empty: expected a header line');
  return summary;
}
