import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ApiClient } from './api-client.js';
import type { Output } from './cli-output.js';
import { competitionPath, type RemoteFile } from './competition-details.js';
import { CliError, exitCodes } from './exit-codes.js';

/** A server-given path that stays inside the target folder: relative, no "..", no backslash. Pure. */
export function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** What `downloadFiles` did. */
export interface DownloadReport {
  downloaded: string[];
  /** Files already there with the right size, left as they were. */
  kept: string[];
  bytes: number;
}

/**
 * Downloads competition files into `dir` at their bundle-relative paths, each through a `.part`
 * file renamed when complete, with a progress bar per file on a terminal. A file already present
 * with the expected size is kept unless `force`.
 */
export async function downloadFiles(
  client: ApiClient,
  slug: string,
  files: readonly RemoteFile[],
  dir: string,
  out: Output,
  opts: { force?: boolean } = {},
): Promise<DownloadReport> {
  const report: DownloadReport = { downloaded: [], kept: [], bytes: 0 };
  for (const file of files) {
    if (!isSafeRelativePath(file.path)) throw new CliError(`the server listed an unsafe file path "${file.path}"; refusing it`, exitCodes.failure);
    const target = path.join(dir, ...file.path.split('/'));
    const existing = await stat(target).catch(() => undefined);
    if (!opts.force && existing?.isFile() && existing.size === file.bytes) {
      report.kept.push(file.path);
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    const urlPath = `${competitionPath(slug)}/files/${file.path.split('/').map(encodeURIComponent).join('/')}`;
    const res = await client.request('GET', urlPath);
    if (!res.body) throw new CliError(`the server sent no content for ${file.path}`, exitCodes.failure);
    const bar = out.progress(file.path, file.bytes);
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        bar.update(received);
        done(null, chunk);
      },
    });
    const part = `${target}.part`;
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream), counter, createWriteStream(part));
    } catch (error) {
      await rm(part, { force: true });
      throw new CliError(`downloading ${file.path} failed (${(error as Error).message}); run the command again`, exitCodes.unreachable);
    }
    bar.done();
    await rename(part, target);
    report.downloaded.push(file.path);
    report.bytes += received;
  }
  return report;
}
