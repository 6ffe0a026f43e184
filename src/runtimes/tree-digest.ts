import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** Feeds a file's bytes into a hash without holding the file in memory. */
function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

async function walk(root: string, rel: string, out: Hash): Promise<void> {
  const names = (await readdir(path.join(root, rel))).sort();
  for (const name of names) {
    const relPath = rel === '' ? name : `${rel}/${name}`;
    const full = path.join(root, relPath);
    const st = await lstat(full);
    // Mode and owner belong to the content: a setuid bit or a root-owned file changes what a run can do.
    const head = `${relPath}\0${st.mode.toString(8)}\0${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      out.update(`${head}\0dir\n`);
      await walk(root, relPath, out);
    } else if (st.isFile()) {
      out.update(`${head}\0file\0${st.size}\0${await hashFile(full)}\n`);
    } else if (st.isSymbolicLink()) {
      out.update(`${head}\0link\0${await readlink(full)}\n`);
    } else {
      out.update(`${head}\0special\0${st.rdev}\n`);
    }
  }
}

/**
 * A content digest of a folder tree: every entry's path, type, mode, owner, and the sha256 of each
 * file's bytes or each link's target, in sorted order. Timestamps are left out, so copying a tree
 * (rsync -a, tar) keeps its digest.
 * @returns "sha256:<hex>"
 */
export async function treeDigest(root: string): Promise<string> {
  const out = createHash('sha256');
  await walk(root, '', out);
  return `sha256:${out.digest('hex')}`;
}
