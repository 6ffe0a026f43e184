import type { MetricValues } from './metrics/metric.js';
import { parseNumber } from './parse-number.js';

/**
 * Collects one column's values by row position: a Float64Array while every value is a number,
 * the text once one is not (as pandas types a column).
 * @remarks Numbers stored before the switch become their canonical text (`1.0` → `"1"`), a
 * difference from pandas only for columns mixing numbers and text.
 */
export class ColumnBuilder {
  #numbers: Float64Array | undefined;
  #texts: string[] | undefined;

  constructor(size: number) {
    this.#numbers = new Float64Array(size);
  }

  set(index: number, text: string): void {
    if (this.#numbers !== undefined) {
      const value = parseNumber(text);
      if (value === value) {
        this.#numbers[index] = value;
        return;
      }
      this.#texts = Array.from(this.#numbers, String);
      this.#numbers = undefined;
    }
    (this.#texts as string[])[index] = text;
  }

  values(): MetricValues {
    return this.#numbers ?? (this.#texts as string[]);
  }
}
