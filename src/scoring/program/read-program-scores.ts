import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { clip, parseNumber } from '../parse-number.js';
import type { Scores } from '../score-types.js';

/** Largest scores file read: a few named numbers need far less. */
export const maxScoresBytes = 1 << 20;

export type ProgramScores = { ok: true; scores: Scores; file: string } | { ok: false; message: string };

/**
 * Reads the scores a scoring program left in `outputDir`: `scores.json` (Codabench: an object of
 * named numbers) or else `scores.txt` (CodaLab: `name: value` lines), and picks the `metrics`
 * named in the competition's configuration.
 * @returns the picked scores, or why there are none: no file, not a regular file, too large,
 * unreadable, a configured metric missing or not a finite number. Keys the configuration does
 * not name are ignored.
 * @remarks The folder was writable by the program: files are opened without following links.
 */
export async function readProgramScores(outputDir: string, metrics: readonly string[]): Promise<ProgramScores> {
  for (const file of ['scores.json', 'scores.txt']) {
    const text = await readSmallFile(path.join(outputDir, file));
    if (text === undefined) continue;
    if (typeof text !== 'string') return { ok: false, message: `${file} ${text.problem}` };
    const parsed = file === 'scores.json' ? parseScoresJson(text) : parseScoresText(text);
    if (typeof parsed === 'string') return { ok: false, message: `${file} ${parsed}` };
    const scores: Scores = {};
    for (const metric of metrics) {
      const value = parsed.get(metric);
      if (value === undefined) {
        const has = [...parsed.keys()].slice(0, 10).map((key) => JSON.stringify(clip(key, 40)));
        return { ok: false, message: `${file} has no ${JSON.stringify(metric)}; it has ${has.length === 0 ? 'no scores' : has.join(', ')}` };
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return { ok: false, message: `${file} gives ${JSON.stringify(metric)} as ${clip(JSON.stringify(value) ?? String(value))}, not a finite number` };
      }
      scores[metric] = value;
    }
    return { ok: true, scores, file };
  }
  return { ok: false, message: 'neither scores.json nor scores.txt was written to the output folder' };
}

/** The file's text; undefined when it does not exist; a problem when it is not a small regular file. */
async function readSmallFile(file: string): Promise<string | undefined | { problem: string }> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') return { problem: 'is a symbolic link' };
    return { problem: `cannot be read (${code ?? 'error'})` };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { problem: 'is not a regular file' };
    if (stats.size > maxScoresBytes) return { problem: `is ${stats.size} bytes, more than ${maxScoresBytes}` };
    const buffer = Buffer.alloc(stats.size);
    const { bytesRead } = await handle.read(buffer, 0, stats.size, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Codabench's `{"name": number, ...}`; values are kept as found, for the caller to judge. */
function parseScoresJson(text: string): Map<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `is not valid JSON: ${clip((error as Error).message, 120)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `must hold a JSON object of named scores, such as {"accuracy": 0.9}; it holds ${Array.isArray(value) ? 'a list' : clip(JSON.stringify(value), 40)}`;
  }
  return new Map(Object.entries(value));
}

/** CodaLab's `name: value` lines; blank lines are skipped, a value must be a number. */
function parseScoresText(text: string): Map<string, unknown> | string {
  const scores = new Map<string, unknown>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return `line ${i + 1} is ${JSON.stringify(clip(line))}; expected "name: value"`;
    const value = parseNumber(line.slice(colon + 1).trim());
    scores.set(line.slice(0, colon).trim(), value === value ? value : line.slice(colon + 1).trim());
  }
  return scores;
}
