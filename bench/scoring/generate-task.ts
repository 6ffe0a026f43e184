import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../../test/helpers/seeded-random.js';

/** The files of a generated binary-classification task, and what a scorer is told about them. */
export interface GeneratedTask {
  dir: string;
  formatPath: string;
  labelsPath: string;
  predictionsPath: string;
  rows: number;
  publicRows: number;
}

/** Appends text to a file through a large buffer (one write per ~4 MiB). */
class BufferedFile {
  readonly #fd: number;
  #parts: string[] = [];
  #length = 0;
  constructor(file: string) {
    this.#fd = openSync(file, 'w');
  }
  write(text: string): void {
    this.#parts.push(text);
    this.#length += text.length;
    if (this.#length >= 4 << 20) this.flush();
  }
  flush(): void {
    writeSync(this.#fd, this.#parts.join(''));
    this.#parts = [];
    this.#length = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

/**
 * Writes a task of `rows` ids into `dir`: the submission format (`id,target` with 0.5 everywhere),
 * the labels (`id,target,usage`, 0/1 with about 30% positives, about 30% of rows Public), and a
 * submission's predictions (`id,target`) as pandas' `to_csv` writes floats: the shortest text
 * that reads back as the same double, up to 17 significant digits. Predictions are informative
 * but noisy (ROC AUC ≈ 0.8) and include a few exact 0 and 1, which log loss clips.
 */
export function generateTask(dir: string, rows: number, seed = 1): GeneratedTask {
  mkdirSync(dir, { recursive: true });
  const task: GeneratedTask = {
    dir,
    formatPath: path.join(dir, 'submission_format.csv'),
    labelsPath: path.join(dir, 'labels.csv'),
    predictionsPath: path.join(dir, 'submission.csv'),
    rows,
    publicRows: 0,
  };
  const next = seededRandom(seed);
  const format = new BufferedFile(task.formatPath);
  const labels = new BufferedFile(task.labelsPath);
  const predictions = new BufferedFile(task.predictionsPath);
  format.write('id,target\n');
  labels.write('id,target,usage\n');
  predictions.write('id,target\n');
  const width = String(rows - 1).length;
  for (let i = 0; i < rows; i++) {
    const id = `id_${String(i).padStart(width, '0')}`;
    const positive = next() < 0.3;
    const isPublic = next() < 0.3;
    if (isPublic) task.publicRows++;
    const u = next();
    const p = i % 100_000 === 7 ? (positive ? 1 : 0) : positive ? u ** 0.45 : u ** 1.6;
    format.write(`${id},0.5\n`);
    labels.write(`${id},${positive ? 1 : 0},${isPublic ? 'Public' : 'Private'}\n`);
    predictions.write(`${id},${p}\n`);
  }
  format.close();
  labels.close();
  predictions.close();
  return task;
}
