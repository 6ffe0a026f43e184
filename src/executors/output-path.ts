import { lstat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Checks the folders between a run's output folder (`RunResult.outputDir`, on the host) and a
 * file below it: none may be a symbolic link. A run can leave a link where a folder is expected
 * (`preds -> /etc`), and the worker, root on the host, would follow it out of the output folder;
 * O_NOFOLLOW guards the last component only. Sound because no process of the run is left once
 * `run()` has returned: the folders cannot change while they are read.
 * @param relative - "/"-separated path below the output folder, e.g. "preds/submission.csv"
 * @returns undefined when every folder is a real one (or missing: opening the file then says
 * so), else a message for the participant naming the link.
 */
export async function linkedOutputFolder(outputDir: string, relative: string): Promise<string | undefined> {
  const folders = relative.split('/').slice(0, -1);
  for (let i = 1; i <= folders.length; i++) {
    const shown = folders.slice(0, i).join('/');
    const stats = await lstat(path.join(outputDir, ...folders.slice(0, i))).catch(() => undefined);
    if (stats === undefined) return undefined;
    if (stats.isSymbolicLink()) return `"${shown}" in the output folder is a symbolic link; write ${relative} into a real folder`;
  }
  return undefined;
}
