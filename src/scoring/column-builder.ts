import type { CsvRow } from './csv-row.js';
import type { MetricValues } from './metrics/metric.js';

/**
 * Collects one column's values by row position: a Float64Array while every value is a number,
 * the text once one is not (as pandas types a column).
 * @remarks Numbers stored before the switch become their canonical text (`1.0` → `"1"`), a
 * difference from pandas only for columns mixing numbers and text. Repeated texts (class names)
 * share one string.
 */
export class ColumnBuilder {
  #numbers: Float64Array | undefined;
  #texts: string[] | undefined;
  readonly #known = new Map<string, string>();

  constructor(size: number) {
    this.#numbers = new Float64Array(size);
  }

  /** Stores field `field` of `row` at `index`. */
  set(index: number, row: CsvRow, field: number): void {
    if (this.#numbers !== undefined) {
      const value = row.number(field);
      if (value === value) {
        this.#numbers[index] = value;
        return;
      }
      this.#texts = Array.from(this.#numbers, String);
      this.#numbers = undefined;
    }
    const text = row.text(field);
    let shared = this.#known.get(text);
    if (shared === undefined) {
      shared = text;
      // Bounded: a column of distinct texts (free-form ids) would otherwise hold them twice.
      if (this.#known.size < 4096) this.#known.set(text, text);
    }
    (this.#texts as string[])[index] = shared;
  }

  values(): MetricValues {
    return this.#numbers ?? (this.#texts as string[]);
  }
}

/** Bytes a column takes, roughly, for a cache's budget: 8 per number, ~40 per text value. */
export function columnBytes(values: MetricValues): number {
  return values instanceof Float64Array ? values.byteLength : values.length * 40;
}
