import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { formatBytesExact } from '../domain/format-bytes.js';

export type OpenedPredictions =
  | { ok: true; handle: FileHandle; size: number }
  | { ok: false; message: string };

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

/**
 * Opens a predictions file that hostile code wrote, refusing anything but a non-empty regular file
 * of at most `maxBytes`.
 * @remarks O_NOFOLLOW refuses a symbolic link as the last component (a link to /etc/passwd or to
 * the labels); O_NONBLOCK keeps a fifo from blocking the open; fstat on the open descriptor judges
 * the file itself, so it cannot be swapped between check and use. Parent folders are the host's
 * and are not checked. The caller closes the handle.
 * @param outputFolder - the output folder as the run sees it, for the message when the file is missing.
 */
export async function openPredictions(path: string, maxBytes: number, outputFolder: string): Promise<OpenedPredictions> {
  const name = basename(path);
  let handle: FileHandle;
  try {
    handle = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const refuse = (message: string) => ({ ok: false as const, message });
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return refuse(`no predictions file: the program must write ${name} to the output folder (${outputFolder})`);
    }
    if (code === 'ELOOP' || code === 'EMLINK') return refuse(`${name} is a symbolic link; write a regular file`);
    if (code === 'ENXIO') return refuse(`${name} is a socket; write a regular file`);
    if (code === 'EACCES' || code === 'EPERM') return refuse(`${name} cannot be read (permission denied); leave it readable`);
    throw error;
  }
  try {
    const stats = await handle.stat();
    const problem = describeUnfit(name, stats, maxBytes);
    if (problem === undefined) return { ok: true, handle, size: stats.size };
    await handle.close();
    return { ok: false, message: problem };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function describeUnfit(name: string, stats: Stats, maxBytes: number): string | undefined {
  if (stats.isDirectory()) return `${name} is a directory; write a regular file`;
  if (stats.isFIFO()) return `${name} is a named pipe (fifo); write a regular file`;
  if (!stats.isFile()) return `${name} is a device or socket, not a regular file; write a regular file`;
  if (stats.size === 0) return `${name} is empty; write a header line and one row per id`;
  if (stats.size > maxBytes) {
    return `${name} is ${formatBytesExact(stats.size)}, more than the ${formatBytesExact(maxBytes)} limit`;
  }
  return undefined;
}

