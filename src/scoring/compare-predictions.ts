import { open } from 'node:fs/promises';
import type { PredictionsFormat } from '../domain/competition.js';
import { type CellDifference, maxListedDifferences, numbersAgree, type PredictionsComparison } from '../domain/determinism.js';
import { readCsv } from './csv-reader.js';
import type { CsvRow } from './csv-row.js';
import { readJsonLines } from './json-lines-reader.js';
import { parseNumber } from './parse-number.js';

export interface CompareOptions {
  format: PredictionsFormat;
  /** The columns of a JSON lines file (the submission format's header); CSV files name their own. */
  columns?: readonly string[];
  /** Name of the id column. @defaultValue the first column */
  idColumn?: string;
  tolerance: number;
}

/**
 * Compares two predictions files row by row, matching rows by id (the n-th row of an id that has
 * several, as ranking predictions do, with the n-th of the other file). Cells that both read as
 * numbers agree within `tolerance` (see `numbersAgree`); any other cell must be equal as text.
 * @remarks Both files were written by the same submission and checked by the scorer once, yet are
 * read as hostile: the first one is held in memory (bounded by the competition's output limit).
 */
export async function comparePredictions(originalFile: string, rerunFile: string, opts: CompareOptions): Promise<PredictionsComparison> {
  const original = await readRows(originalFile, opts);
  const rerun = await readRows(rerunFile, opts);
  if (original.header.join('\u0000') !== rerun.header.join('\u0000')) {
    return { compared: true, rows: original.rows.size, differingRows: 0, missingRows: 0, extraRows: 0, columns: { original: original.header, rerun: rerun.header }, differences: [] };
  }
  const differences: CellDifference[] = [];
  let differingRows = 0;
  let missingRows = 0;
  for (const [key, cells] of original.rows) {
    const other = rerun.rows.get(key);
    if (!other) {
      missingRows++;
      if (differences.length < maxListedDifferences) differences.push({ row: key, column: '(row)', original: 'present', rerun: 'missing' });
      continue;
    }
    let differs = false;
    cells.forEach((cell, i) => {
      if (cellsAgree(cell, other[i] ?? '', opts.tolerance)) return;
      differs = true;
      if (differences.length < maxListedDifferences) differences.push({ row: key, column: original.header[i] ?? String(i), original: cell, rerun: other[i] ?? '' });
    });
    if (differs) differingRows++;
  }
  let extraRows = 0;
  for (const key of rerun.rows.keys()) {
    if (original.rows.has(key)) continue;
    extraRows++;
    if (differences.length < maxListedDifferences) differences.push({ row: key, column: '(row)', original: 'missing', rerun: 'present' });
  }
  return { compared: true, rows: original.rows.size, differingRows, missingRows, extraRows, differences };
}

function cellsAgree(a: string, b: string, tolerance: number): boolean {
  if (a === b) return true;
  const x = parseNumber(a);
  const y = parseNumber(b);
  return Number.isFinite(x) && Number.isFinite(y) && numbersAgree(x, y, tolerance);
}

/** A file's header and its rows keyed by id (`id#n` from an id's second row on), values without the id. */
async function readRows(file: string, opts: CompareOptions): Promise<{ header: string[]; rows: Map<string, string[]> }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    let header: string[] | undefined;
    let idAt = 0;
    const rows = new Map<string, string[]>();
    const seen = new Map<string, number>();
    const onRow = (record: CsvRow) => {
      if (record.blank) return;
      const texts = record.texts();
      if (!header) {
        header = texts;
        idAt = Math.max(0, opts.idColumn ? header.indexOf(opts.idColumn) : 0);
        return;
      }
      const id = texts[idAt] ?? '';
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      rows.set(n === 1 ? id : `${id}#${n}`, texts);
    };
    if (opts.format === 'jsonl') await readJsonLines(handle, size, opts.columns ?? [], onRow);
    else await readCsv(handle, size, onRow);
    return { header: header ?? [], rows };
  } finally {
    await handle.close();
  }
}
