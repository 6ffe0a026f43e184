import type { DataConfig } from '../domain/competition.js';
import type { BundleIssue } from './bundle-error.js';
import type { BundleTree } from './walk-bundle.js';

export type Kind = 'file' | 'folder' | 'any';

/** `a` is `b` or lies inside folder `b`. */
export function within(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`);
}

/** Why `rel` is not a usable `kind` in the bundle, or undefined when it is. */
export function pathIssue(tree: BundleTree, rel: string, kind: Kind): string | undefined {
  const isFile = tree.files.includes(rel);
  const isFolder = tree.folders.has(rel);
  if (!isFile && !isFolder) {
    const link = [...tree.links].find((l) => within(rel, l));
    return link === undefined ? `"${rel}" does not exist in the bundle` : `"${rel}" goes through the symbolic link "${link}"`;
  }
  if (kind === 'file' && !isFile) return `"${rel}" is a folder; expected a file`;
  if (kind === 'folder' && !isFolder) return `"${rel}" is a file; expected a folder`;
  if (isFolder && !tree.files.some((f) => within(f, rel))) return `"${rel}" is an empty folder`;
  return undefined;
}

/**
 * Checks that every data path exists with the right kind, and that nothing secret is reachable
 * from what participants can download (public) or what a run can read (test features).
 * @returns The paths that are fine, for the checks that read them, and the issues.
 */
export function checkDataPaths(
  data: DataConfig,
  tree: BundleTree,
  /** Index in the YAML list of each `data.public` entry, when invalid entries were left out. */
  publicIndex?: readonly number[],
): { ok: Set<string>; issues: BundleIssue[] } {
  const publicField = (i: number) => `data.public[${publicIndex?.[i] ?? i}]`;
  const issues: BundleIssue[] = [];
  const ok = new Set<string>();
  const check = (field: string, rel: string, kind: Kind) => {
    const message = pathIssue(tree, rel, kind);
    if (message === undefined) ok.add(rel);
    else issues.push({ file: 'competition.yaml', field, message });
  };
  data.public.forEach((p, i) => check(publicField(i), p, 'any'));
  check('data.test_features', data.testFeatures, 'folder');
  check('data.labels', data.labels, 'file');
  check('data.submission_format', data.submissionFormat, 'file');
  if (data.smoke) {
    check('data.smoke.features', data.smoke.features, 'folder');
    check('data.smoke.labels', data.smoke.labels, 'file');
    check('data.smoke.submission_format', data.smoke.submissionFormat, 'file');
  }

  const leak = (field: string, message: string) => issues.push({ file: 'competition.yaml', field, message });
  data.public.forEach((p, i) => {
    const field = publicField(i);
    if (within(data.labels, p)) {
      leak(field, p === data.labels ? `"${p}" is the labels file: labels must never be public` : `"${p}" contains the labels file "${data.labels}": labels must never be public`);
    }
    if (within(data.testFeatures, p) || within(p, data.testFeatures)) {
      const how = p === data.testFeatures ? 'is' : within(p, data.testFeatures) ? 'is inside' : 'contains';
      leak(field, `"${p}" ${how} the test features "${data.testFeatures}": test features must never be downloadable`);
    }
  });
  if (within(data.labels, data.testFeatures)) {
    leak('data.labels', `"${data.labels}" is inside the test features folder "${data.testFeatures}": every run could read the labels`);
  }
  if (data.smoke && within(data.labels, data.smoke.features)) {
    leak('data.labels', `"${data.labels}" is inside the smoke features folder "${data.smoke.features}": smoke runs could read the labels`);
  }
  const smoke = data.smoke?.features;
  if (smoke !== undefined && (within(smoke, data.testFeatures) || within(data.testFeatures, smoke))) {
    // A smoke run's whole log is shown to the participant: it could print every feature it reads.
    leak('data.smoke.features', `"${smoke}" overlaps the test features "${data.testFeatures}": smoke logs are shown in full, so take the smoke sample from public data`);
  }
  return { ok, issues };
}
