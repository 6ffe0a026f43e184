import path from 'node:path';
import { z } from 'zod';
import { splitCommand } from '../domain/split-command.js';
import { parseDuration, parseSize, sizeUnitHint } from './units.js';

/** How a value reads in a message: strings quoted, structures named. */
export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid date' : value.toISOString();
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

type Parsed<T> = { value: T } | { message: string };

/**
 * A field parsed by a plain function, so that its message can say exactly what was expected and
 * what was found (zod's built-in union and format messages cannot).
 */
// Typed as a plain ZodType: z.unknown() would make the key optional in an object's output type.
function field<T>(parse: (input: unknown) => Parsed<T>): z.ZodType<T> {
  return z.unknown().transform((input, ctx): T => {
    const result: Parsed<T> = input === undefined ? { message: 'required' } : parse(input);
    if ('message' in result) {
      ctx.addIssue({ code: 'custom', message: result.message, input });
      return z.NEVER;
    }
    return result.value;
  });
}

/** A positive duration (`"10m"`), in milliseconds. */
export const duration = field<number>((input) => {
  const expected = 'expected a duration such as "10m", "90s" or "1h30m"';
  if (typeof input === 'number') return { message: `${expected}, got ${input}; add a unit: h, m, s or ms` };
  const ms = typeof input === 'string' ? parseDuration(input) : undefined;
  if (ms === undefined) return { message: `${expected}, got ${describeValue(input)}` };
  if (ms <= 0) return { message: `must be longer than zero, got ${describeValue(input)}` };
  return { value: ms };
});

/** A positive size (`"2GiB"`), in bytes. */
export const size = field<number>((input) => {
  const expected = 'expected a size such as "2GiB"';
  if (typeof input === 'number') return { message: `${expected}, got ${input}; add a unit: ${sizeUnitHint}` };
  const bytes = typeof input === 'string' ? parseSize(input) : undefined;
  if (bytes === undefined) return { message: `${expected}, got ${describeValue(input)}` };
  if (bytes <= 0) return { message: `must be larger than zero, got ${describeValue(input)}` };
  return { value: bytes };
});

/**
 * A relative path inside `where` (the bundle, the output folder), normalised to forward slashes
 * without a trailing one (`train/` → `train`). Whether it exists is checked against the disk later.
 */
export function relativePath(where: string) {
  return field<string>((input) => {
    if (typeof input !== 'string') return { message: `expected a path inside ${where}, got ${describeValue(input)}` };
    if (input.trim() === '') return { message: 'must not be empty' };
    if (input.includes('\\')) return { message: `use "/" to separate folders, got ${describeValue(input)}` };
    if (path.posix.isAbsolute(input) || /^[a-z]:/i.test(input)) {
      return { message: `must be relative to ${where}, got ${describeValue(input)}` };
    }
    if (input.split('/').includes('..')) return { message: `must stay inside ${where} (no ".."), got ${describeValue(input)}` };
    const normalised = path.posix.normalize(input).replace(/\/+$/, '');
    if (normalised === '.' || normalised === '') return { message: `must name a file or folder inside ${where}, not ${where} itself` };
    return { value: normalised };
  });
}

// Mounting a run's folder on, in or above these would hide or replace the runtime's own files
// (/opt/nvidia holds the host's GPU driver files in runs with GPUs).
const systemFolders = ['/bin', '/boot', '/dev', '/etc', '/holdout', '/lib', '/lib64', '/opt/nvidia', '/proc', '/sbin', '/sys', '/tmp', '/usr'];

/** An absolute path inside a run (`/code_execution/src`), normalised. */
export const runPath = field<string>((input) => {
  if (typeof input !== 'string' || !path.posix.isAbsolute(input)) {
    return { message: `expected an absolute path such as "/code_execution/data", got ${describeValue(input)}` };
  }
  if (input.split('/').includes('..')) return { message: `must not contain "..", got ${describeValue(input)}` };
  const normalised = path.posix.normalize(input).replace(/(.)\/+$/, '$1');
  const clash = systemFolders.find((dir) => normalised === dir || normalised.startsWith(`${dir}/`) || dir.startsWith(`${normalised}/`));
  if (normalised === '/' || clash) return { message: `must not be / or a system folder (${systemFolders.join(', ')}), got ${describeValue(input)}` };
  return { value: normalised };
});

const isoPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A date-time from ISO text, or undefined. Without an offset, times are UTC. */
export function parseIsoDate(text: string): Date | undefined {
  const m = isoPattern.exec(text.trim());
  if (!m) return undefined;
  const parts = m.slice(1, 7).map((part) => Number(part ?? 0));
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  const millis = Number((m[7] ?? '0').padEnd(3, '0'));
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  // Date.UTC rolls 2026-02-30 over into March: a real date reads back the same.
  const readBack = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  if (readBack.some((part, i) => part !== parts[i])) return undefined;
  const offset = m[8];
  if (offset && offset.toUpperCase() !== 'Z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
    date.setTime(date.getTime() - sign * minutes * 60_000);
  }
  return date;
}

/** A date (`2026-01-01`, midnight UTC) or date-time (`2026-01-01T12:00:00+01:00`). */
export const isoDate = field<Date>((input) => {
  // YAML 1.1 documents turn unquoted dates into Date objects; YAML 1.2 (the default) keeps text.
  if (input instanceof Date && !Number.isNaN(input.getTime())) return { value: input };
  const date = typeof input === 'string' ? parseIsoDate(input) : undefined;
  if (date === undefined) {
    return { message: `expected an ISO date such as "2026-01-01" or date-time such as "2026-01-01T12:00:00Z", got ${describeValue(input)}` };
  }
  return { value: date };
});

/** A command line (`python main.py`) or an argv list, as argv. */
export const command = field<string[]>((input) => {
  if (Array.isArray(input) && input.length > 0 && input.every((arg) => typeof arg === 'string' && arg !== '')) {
    return { value: input as string[] };
  }
  if (typeof input !== 'string') {
    return { message: `expected a command such as "python main.py" or a list of arguments, got ${describeValue(input)}` };
  }
  const split = splitCommand(input);
  return split.ok ? { value: split.argv } : { message: `the command ${split.message}: ${describeValue(input)}` };
});
