import type { Dirent } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { BundleIssue } from './bundle-error.js';

/** What a bundle folder holds, by bundle-relative path with forward slashes. */
export interface BundleTree {
  /** Regular files, sorted. */
  files: string[];
  /** Folders (not the root). */
  folders: Set<string>;
  /** Symbolic links, which are reported as issues and never followed. */
  links: Set<string>;
  issues: BundleIssue[];
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function linkIssue(root: string, rel: string): Promise<BundleIssue> {
  let target: string | undefined;
  try {
    target = await realpath(path.join(root, rel));
  } catch {
    return { file: rel, field: '', message: 'is a broken symbolic link: remove it or replace it with a file' };
  }
  if (!isInside(root, target)) {
    return { file: rel, field: '', message: `is a symbolic link to ${target}, outside the bundle: copy the data into the bundle instead` };
  }
  // Bundles are copied file by file into the blob store, which keeps no links: a link inside the
  // bundle would vanish on the way, so it is refused here rather than found missing by a run.
  return { file: rel, field: '', message: `is a symbolic link (to ${path.relative(root, target)}): replace it with a copy of what it points to` };
}

/**
 * Lists everything under `root` (its real path) without following links. Links, devices, fifos
 * and sockets are issues: a bundle is plain files and folders.
 */
export async function walkBundle(root: string): Promise<BundleTree> {
  const tree: BundleTree = { files: [], folders: new Set(), links: new Set(), issues: [] };
  const visit = async (dir: string): Promise<void> => {
    const entries: Dirent[] = await readdir(path.join(root, dir), { withFileTypes: true });
    for (const entry of entries) {
      const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        tree.folders.add(rel);
        await visit(rel);
      } else if (entry.isFile()) {
        tree.files.push(rel);
      } else if (entry.isSymbolicLink()) {
        tree.links.add(rel);
        tree.issues.push(await linkIssue(root, rel));
      } else {
        tree.issues.push({ file: rel, field: '', message: 'is not a regular file or folder (a device, fifo or socket)' });
      }
    }
  };
  await visit('');
  // Plain code-unit order: the same on every machine, whatever its locale.
  tree.files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return tree;
}
