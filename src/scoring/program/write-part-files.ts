import { open, type FileHandle } from 'node:fs/promises';
import { readCsv } from '../csv-reader.js';
import type { CsvRow } from '../csv-row.js';
import type { IdIndex } from '../id-index.js';

/** A CSV file to split, and where each part's rows go. */
export interface PartSplit {
  /** The open source file (already validated) and its size. */
  handle: FileHandle;
  size: number;
  /** Name of its id column. */
  idColumn: string;
  /** Output file for each part value (PUBLIC, PRIVATE), created here; rows of a part not named are dropped. */
  outputs: ReadonlyMap<number, string>;
}

/** Lines queued for one output file, written between chunks of the source. */
class PartWriter {
  #buffer = Buffer.allocUnsafe(1 << 16);
  #used = 0;
  private constructor(readonly handle: FileHandle) {}

  static async create(path: string): Promise<PartWriter> {
    // World-readable: the scoring program runs as an unprivileged user.
    return new PartWriter(await open(path, 'wx', 0o644));
  }

  /** Queues `source[start, end)` and a line end. */
  add(source: Buffer, start: number, end: number): void {
    const needed = this.#used + end - start + 1;
    if (needed > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
      this.#buffer.copy(grown, 0, 0, this.#used);
      this.#buffer = grown;
    }
    this.#used += source.copy(this.#buffer, this.#used, start, end);
    this.#buffer[this.#used++] = 10;
  }

  async flush(): Promise<void> {
    let written = 0;
    while (written < this.#used) written += (await this.handle.write(this.#buffer, written, this.#used - written)).bytesWritten;
    this.#used = 0;
  }
}

/**
 * Writes the header and the rows of each part of a CSV file into that part's file: the rows as
 * written (quoted fields kept), in the file's order, each ending with `\n`. `parts` gives the part
 * of each id's position in `index`.
 * @remarks For files that were read and validated already: an id `index` lacks is a bug here.
 * Memory is one chunk of the source per output.
 */
export async function writePartFiles(split: PartSplit, index: IdIndex, parts: Uint8Array): Promise<void> {
  const writers = new Map<number, PartWriter>();
  try {
    for (const [part, path] of split.outputs) writers.set(part, await PartWriter.create(path));
    let idAt = -1;
    let dataRows = 0;
    const onRow = (row: CsvRow): void => {
      if (idAt < 0) {
        idAt = row.texts().indexOf(split.idColumn);
        if (idAt < 0) throw new Error(`no column ${split.idColumn} in a validated file`);
        for (const writer of writers.values()) writer.add(row.source, row.recordStart, row.recordEnd);
        return;
      }
      const position = index.find(row.bytes, row.starts[idAt] as number, row.ends[idAt] as number, dataRows++);
      if (position < 0) throw new Error(`line ${row.line} of a validated file has an id the format lacks`);
      writers.get(parts[position] as number)?.add(row.source, row.recordStart, row.recordEnd);
    };
    const flush = async () => {
      for (const writer of writers.values()) await writer.flush();
    };
    await readCsv(split.handle, split.size, onRow, { afterChunk: flush });
  } finally {
    for (const writer of writers.values()) await writer.handle.close();
  }
}
