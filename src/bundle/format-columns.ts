import { parse as parseCsv } from 'csv-parse/sync';

/**
 * The header and first row of a submission format CSV (LF or CRLF): the predicted columns, the id
 * column left out, and a valid value for each (the first row's, "0" where it has none). Pure.
 * @param csvHead - at least the first two lines of the file; more is ignored.
 */
export function formatColumns(csvHead: string, idColumn: string): { columns: string[]; placeholders: string[] } {
  const lines = csvHead.replace(/^\uFEFF/, '').split(/\r?\n/).slice(0, 2).join('\n');
  const rows = parseCsv(lines, { relax_column_count: true, relax_quotes: true }) as string[][];
  const [header = [], first = []] = rows;
  const keep = header.map((c, i) => [c, first[i] ?? '0'] as const).filter(([c]) => c !== idColumn);
  return { columns: keep.map(([c]) => c), placeholders: keep.map(([, v]) => v) };
}
