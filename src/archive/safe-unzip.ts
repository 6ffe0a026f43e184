import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { formatBytes } from '../domain/format-bytes.js';

/** A zip a participant or host sent is unusable; the message says why and how to fix it. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

export interface ZipLimits {
  /** Total uncompressed bytes. */
  maxBytes: number;
  maxFiles: number;
}

export interface ZipEntryInfo {
  name: string;
  bytes: number;
  isDirectory: boolean;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** A zip to read: a local file, or `size` bytes read in ranges (a blob in the blob store). */
export type ZipSource = string | { size: number; readRange(start: number, end: number): Promise<NodeJS.ReadableStream> };

// validateEntrySizes: a lying header (a classic zip-bomb trick) fails while streaming.
const OPEN_OPTIONS = { lazyEntries: true, validateEntrySizes: true, strictFileNames: true };

function openZip(source: ZipSource): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, zip: yauzl.ZipFile) => {
      if (err) reject(new ArchiveError(`not a valid zip archive (${err.message}); create it with "holdout pack" or "zip -r"`));
      else resolve(zip);
    };
    if (typeof source === 'string') yauzl.open(source, OPEN_OPTIONS, done);
    else yauzl.fromRandomAccessReader(rangeReader(source.readRange), source.size, OPEN_OPTIONS, done);
  });
}

/** yauzl asks for a stream at once; the range arrives when the store answers. */
function rangeReader(readRange: (start: number, end: number) => Promise<NodeJS.ReadableStream>): yauzl.RandomAccessReader {
  class BlobRangeReader extends yauzl.RandomAccessReader {
    override _readStreamForRange(start: number, end: number): Readable {
      const out = new PassThrough();
      readRange(start, end).then((s) => void pipeline(s, out).catch((err: Error) => out.destroy(err)), (err: Error) => out.destroy(err));
      return out;
    }
  }
  return new BlobRangeReader();
}

/** Refuses what must never be unpacked: escapes, links, devices, too much. Pure per entry. */
function checkEntry(entry: yauzl.Entry): ZipEntryInfo {
  const name = entry.fileName;
  const isDirectory = name.endsWith('/');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new ArchiveError(`entry "${name}" has an absolute path; zip relative paths only`);
  if (name.includes('\\')) throw new ArchiveError(`entry "${name}" contains a backslash; use "/" as separator`);
  if (name.split('/').some((part) => part === '..')) throw new ArchiveError(`entry "${name}" points outside the archive ("..")`);
  if (name.includes('\0')) throw new ArchiveError(`entry "${name}" contains a NUL byte`);
  // Unix zips keep st_mode in the high 16 bits; 0 means a DOS/Windows zip without modes.
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) {
    const kind = mode === 0o120000 ? 'a symbolic link' : 'a special file (device, fifo or socket)';
    throw new ArchiveError(`entry "${name}" is ${kind}; include regular files only`);
  }
  if (entry.isEncrypted()) throw new ArchiveError(`entry "${name}" is encrypted; zip it without a password`);
  return { name, bytes: entry.uncompressedSize, isDirectory };
}

/**
 * Walks a zip's central directory, checking every entry and the totals; nothing is written.
 * @remarks The sizes are those the archive declares; only unpacking (extractZip) counts real bytes.
 */
export async function inspectZip(source: ZipSource, limits: ZipLimits): Promise<ZipEntryInfo[]> {
  return walk(source, limits, async () => {});
}

/**
 * Unpacks a zip into `dest` (which must exist and be empty) after the same checks as inspectZip,
 * counting the bytes actually written so a lying header cannot exceed `limits.maxBytes`.
 * Permissions from the archive are not kept: files 0644, folders 0755.
 */
export async function extractZip(file: string, dest: string, limits: ZipLimits): Promise<ZipEntryInfo[]> {
  let written = 0;
  return walk(file, limits, async (zip, entry, info) => {
    const target = path.join(dest, info.name);
    if (info.isDirectory) {
      await mkdir(target, { recursive: true, mode: 0o755 });
      return;
    }
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    const source = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))),
    );
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        written += chunk.length;
        if (written > limits.maxBytes) done(new ArchiveError(tooBig(limits)));
        else done(null, chunk);
      },
    });
    // 'wx': never follow or overwrite something already there (duplicate names, links).
    await pipeline(source, counter, createWriteStream(target, { flags: 'wx', mode: 0o644 })).catch((err: unknown) => {
      if (err instanceof ArchiveError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      // validateEntrySizes: the data inflates past the size the headers declare (a zip-bomb trick).
      if (/too many bytes in the stream/.test(message)) {
        throw new ArchiveError(`entry "${info.name}" unpacks to more than the ${info.bytes} bytes its header declares; the zip is damaged or forged`);
      }
      throw new ArchiveError(`entry "${info.name}" could not be unpacked (${message}); the zip may be damaged`);
    });
  });
}

function tooBig(limits: ZipLimits): string {
  return `the archive unpacks to more than ${formatBytes(limits.maxBytes)}; make the model smaller or ask the host for a higher limit`;
}


/** yauzl checks some things itself (it validates names while reading); say them our way. */
function translate(err: Error): ArchiveError {
  const m = /invalid relative path: (.*)$/.exec(err.message);
  if (m) return new ArchiveError(`entry "${m[1]}" points outside the archive ("..")`);
  const a = /absolute path: (.*)$/.exec(err.message);
  if (a) return new ArchiveError(`entry "${a[1]}" has an absolute path; zip relative paths only`);
  // strictFileNames: yauzl refuses backslashes before the entry reaches checkEntry.
  const b = /invalid characters in fileName: (.*)$/.exec(err.message);
  if (b) return new ArchiveError(`entry "${b[1]}" contains a backslash; use "/" as separator`);
  return new ArchiveError(`the zip is damaged (${err.message}); create it again with "holdout pack" or "zip -r"`);
}

type EntryHandler = (zip: yauzl.ZipFile, entry: yauzl.Entry, info: ZipEntryInfo) => Promise<void>;

async function walk(source: ZipSource, limits: ZipLimits, onEntry: EntryHandler): Promise<ZipEntryInfo[]> {
  const zip = await openZip(source);
  const entries: ZipEntryInfo[] = [];
  const seen = new Set<string>();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (err: Error) => reject(err instanceof ArchiveError ? err : translate(err)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        (async () => {
          const info = checkEntry(entry);
          const key = info.name.replace(/\/+$/, '');
          if (seen.has(key)) throw new ArchiveError(`entry "${info.name}" appears twice`);
          seen.add(key);
          entries.push(info);
          if (entries.length > limits.maxFiles)
            throw new ArchiveError(`the archive holds more than ${limits.maxFiles} entries; remove caches and data you do not need`);
          total += info.bytes;
          if (total > limits.maxBytes) throw new ArchiveError(tooBig(limits));
          await onEntry(zip, entry, info);
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  if (entries.length === 0) throw new ArchiveError('the archive is empty; add your code (e.g. main.py) and model files');
  return entries;
}

/**
 * Checks that the entry point file is at the archive's root. Zipping the folder instead of its
 * contents is the most common mistake, so that case gets its own hint.
 */
export function checkEntryPoint(entries: readonly ZipEntryInfo[], file: string): void {
  if (entries.some((e) => !e.isDirectory && e.name === file)) return;
  const nested = entries.find((e) => !e.isDirectory && e.name.endsWith(`/${file}`));
  if (nested) {
    const folder = nested.name.slice(0, -file.length);
    throw new ArchiveError(`${file} is inside "${folder}", not at the root of the zip; zip the folder's contents, not the folder`);
  }
  throw new ArchiveError(`${file} is missing: the zip must contain ${file} at its root`);
}
