import { createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/** Every regular file under `dir`, as sorted "/"-separated relative paths (links are skipped). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => {
      const parent = (e as unknown as { parentPath?: string; path: string }).parentPath ?? e.path;
      return path.relative(dir, path.join(parent, e.name)).split(path.sep).join('/');
    })
    .sort();
}

/** Zips the regular files of `dir` (relative paths, deflated) into `outFile`. */
export async function zipFolder(dir: string, outFile: string, files?: readonly string[]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const rel of files ?? (await listFiles(dir))) zip.addFile(path.join(dir, rel), rel);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(outFile));
}
