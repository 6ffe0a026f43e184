import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** A file that goes into the zip. */
export interface PackedFile {
  /** "/"-separated, relative to the folder. */
  path: string;
  bytes: number;
}

/** Something left out, and why (shown to the participant). */
export interface SkippedEntry {
  path: string;
  why: string;
}

export interface PackPlan {
  files: PackedFile[];
  skipped: SkippedEntry[];
  totalBytes: number;
}

/** Folders that are never part of a submission, by name. */
const skippedFolders: Readonly<Record<string, string>> = {
  __pycache__: 'Python bytecode cache',
  '.ipynb_checkpoints': 'Jupyter checkpoints',
  '.git': 'version control',
  '.hg': 'version control',
  '.svn': 'version control',
  '.mypy_cache': 'tool cache',
  '.pytest_cache': 'tool cache',
  '.ruff_cache': 'tool cache',
  '.tox': 'tool cache',
  '.idea': 'editor settings',
  '.vscode': 'editor settings',
};

/** Files that are never part of a submission, by name or suffix. */
function skippedFile(name: string): string | undefined {
  if (name === '.DS_Store' || name === 'Thumbs.db') return 'operating system clutter';
  if (name.endsWith('.pyc') || name.endsWith('.pyo')) return 'Python bytecode';
  return undefined;
}

/**
 * Decides what `holdout pack` puts in the zip: every regular file under `dir`, except caches,
 * version control, editor folders and virtual environments (a folder holding `pyvenv.cfg` or
 * `conda-meta/`: the platform's runtime provides the packages), links (a zip holds regular files
 * only) and the files named in `exclude` (e.g. the zip being written).
 */
export async function planPack(dir: string, exclude: ReadonlySet<string> = new Set()): Promise<PackPlan> {
  const plan: PackPlan = { files: [], skipped: [], totalBytes: 0 };
  await walk(dir, '', exclude, plan);
  plan.files.sort((a, b) => a.path.localeCompare(b.path));
  return plan;
}

async function walk(root: string, rel: string, exclude: ReadonlySet<string>, plan: PackPlan): Promise<void> {
  const here = path.join(root, rel);
  const entries = await readdir(here, { withFileTypes: true });
  const names = new Set(entries.map((e) => e.name));
  if (rel !== '' && (names.has('pyvenv.cfg') || names.has('conda-meta'))) {
    plan.skipped.push({ path: `${rel}/`, why: 'virtual environment; the runtime provides the packages' });
    return;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const full = path.join(root, relPath);
    if (exclude.has(path.resolve(full))) continue;
    if (entry.isDirectory()) {
      const why = skippedFolders[entry.name];
      if (why !== undefined) plan.skipped.push({ path: `${relPath}/`, why });
      else await walk(root, relPath, exclude, plan);
    } else if (entry.isFile()) {
      const why = skippedFile(entry.name);
      if (why !== undefined) {
        plan.skipped.push({ path: relPath, why });
        continue;
      }
      const bytes = (await lstat(full)).size;
      plan.files.push({ path: relPath, bytes });
      plan.totalBytes += bytes;
    } else if (entry.isSymbolicLink()) {
      plan.skipped.push({ path: relPath, why: 'symbolic link; a zip holds regular files only (copy the file instead)' });
    } else {
      plan.skipped.push({ path: relPath, why: 'not a regular file' });
    }
  }
}

/** A skipped folder's note, once per reason and path, for people. Pure. */
export function describeSkipped(skipped: readonly SkippedEntry[]): string[] {
  return skipped.map((s) => `skipped ${s.path} (${s.why})`);
}
