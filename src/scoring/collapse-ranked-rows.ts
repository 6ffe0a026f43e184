import { createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { parse } from 'csv-parse';

/**
 * Joins the prediction rows of each id into one row, for ranking metrics: a query's results are
 * written one row each, best first (`query,doc` / `q1,d7` / `q1,d2` …), as DrivenData's and
 * Kaggle's ranking competitions take them. Values of `rankingColumns` are joined with a blank in
 * file order; other columns keep the id's first row. Ids keep the order of their first row.
 * @returns false when the file is not a CSV with `header` (it is then left for the usual checks,
 * which say what is wrong), true when `target` holds the joined rows.
 * @remarks `source` is the predictions file as the caller's checks opened it (a plain file within
 * the size limit, never followed through a link); the caller closes it.
 */
/** One CSV line: a field with a comma, quote or line break quoted. */
function csvLine(fields: readonly string[]): string {
  return `${fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',')}\n`;
}

export async function collapseRankedRows(source: FileHandle, target: string, header: readonly string[], idColumn: number, rankingColumns: ReadonlySet<number>): Promise<boolean> {
  const rows = new Map<string, string[][]>();
  const parser = source.createReadStream({ start: 0, autoClose: false }).pipe(parse({ bom: true, relax_column_count: false }));
  let first = true;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (first) {
        first = false;
        if (record.length !== header.length || record.some((c, i) => c !== header[i])) return false;
        continue;
      }
      const id = record[idColumn] ?? '';
      const list = rows.get(id);
      if (list) list.push(record);
      else rows.set(id, [record]);
    }
  } catch {
    return false;
  }
  const out = createWriteStream(target);
  const write = (line: string) => (out.write(line) ? undefined : once(out, 'drain'));
  await write(csvLine(header));
  for (const list of rows.values()) {
    const joined = header.map((_, col) => (rankingColumns.has(col) ? list.map((r) => (r[col] ?? '').trim()).filter((v) => v !== '').join(' ') : (list[0]?.[col] ?? '')));
    await write(csvLine(joined));
  }
  out.end();
  await once(out, 'finish');
  return true;
}
