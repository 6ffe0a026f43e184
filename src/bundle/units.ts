/**
 * Durations ("1h30m") and sizes ("2GiB") as hosts write them in `competition.yaml`, to and from
 * the milliseconds and bytes the rest of Holdout works in.
 */

const durationUnits = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type DurationUnit = keyof typeof durationUnits;
const durationOrder: readonly DurationUnit[] = ['h', 'm', 's', 'ms'];

/**
 * Milliseconds in a duration such as `"90s"`, `"10m"`, `"1h30m"`, `"1.5h"` or `"500ms"`.
 * @remarks Units go from largest to smallest, each at most once; spaces between parts are allowed.
 * A bare number has no unit and is rejected: `90` could mean seconds or minutes.
 * @returns undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const source = text.trim();
  const part = /(\d+(?:\.\d+)?)\s*(ms|h|m|s)\s*/y;
  let total = 0;
  let previous = -1;
  let match: RegExpExecArray | null;
  while (part.lastIndex < source.length && (match = part.exec(source)) !== null) {
    const unit = match[2] as DurationUnit;
    const rank = durationOrder.indexOf(unit);
    if (rank <= previous) return undefined;
    previous = rank;
    total += Number(match[1]) * durationUnits[unit];
  }
  if (previous < 0 || part.lastIndex !== source.length) return undefined;
  return Math.round(total);
}

/** `90000` → `"1m30s"`; the output parses back with {@link parseDuration}. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let text = '';
  for (const unit of durationOrder) {
    const count = Math.floor(rest / durationUnits[unit]);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * durationUnits[unit];
  }
  return text;
}

const K = 1000;
const Ki = 1024;
const sizeUnits: Readonly<Record<string, number>> = {
  b: 1,
  k: K, kb: K, m: K ** 2, mb: K ** 2, g: K ** 3, gb: K ** 3, t: K ** 4, tb: K ** 4,
  ki: Ki, kib: Ki, mi: Ki ** 2, mib: Ki ** 2, gi: Ki ** 3, gib: Ki ** 3, ti: Ki ** 4, tib: Ki ** 4,
};

/** Unit names shown when a size is missing its unit. */
export const sizeUnitHint = 'B, KiB, MiB, GiB or TiB (powers of 1024), KB, MB, GB or TB (powers of 1000)';

/**
 * Bytes in a size such as `"2GiB"`, `"512MiB"`, `"1GB"` or `"1.5 GiB"` (rounded down).
 * @remarks `KiB`/`MiB`/`GiB`/`TiB` (and Kubernetes' `Ki`/`Mi`/`Gi`) are powers of 1024,
 * `KB`/`MB`/`GB`/`TB` (and `K`/`M`/`G`) powers of 1000, as in Kubernetes; case is ignored.
 * A bare number has no unit and is rejected: `2` for a memory limit is almost surely not 2 bytes.
 * @returns undefined when the text is not a size.
 */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = sizeUnits[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `2147483648` → `"2GiB"`, `1610612736` → `"1.5GiB"`: the largest binary unit, one decimal at most. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
  let value = bytes;
  let index = 0;
  while (value >= Ki && index < units.length - 1) {
    value /= Ki;
    index++;
  }
  const rounded = Math.round(value * 10) / 10;
  return `${rounded}${units[index]}`;
}
