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
  /** Where the section is in competition.yaml: `data`, or a phase's own `phases[1].data`. */
  at = 'data',
  /** Whether the labels may be a folder (a raw scoring program's `$input/ref`). */
  labelsAnyKind = false,
): { ok: Set<string>; issues: BundleIssue[] } {
  const publicField = (i: number) => `${at}.public[${publicIndex?.[i] ?? i}]`;
  const issues: BundleIssue[] = [];
  const ok = new Set<string>();
  const check = (field: string, rel: string | undefined, kind: Kind) => {
    if (rel === undefined) return;
    const message = pathIssue(tree, rel, kind);
    if (message === undefined) ok.add(rel);
    else issues.push({ file: 'competition.yaml', field: `${at}.${field}`, message });
  };
  data.public.forEach((p, i) => check(publicField(i).slice(at.length + 1), p, 'any'));
  check('test_features', data.testFeatures, 'folder');
  check('labels', data.labels, labelsAnyKind ? 'any' : 'file');
  check('submission_format', data.submissionFormat, 'file');
  if (data.smoke) {
    check('smoke.features', data.smoke.features, 'folder');
    check('smoke.labels', data.smoke.labels, 'file');
    check('smoke.submission_format', data.smoke.submissionFormat, 'file');
  }

  const leak = (field: string, message: string) => issues.push({ file: 'competition.yaml', field: field.replace(/^data\b/, at), message });
  const features = data.testFeatures;
  data.public.forEach((p, i) => {
    const field = publicField(i);
    if (within(data.labels, p)) {
      leak(field, p === data.labels ? `"${p}" is the labels file: labels must never be public` : `"${p}" contains the labels file "${data.labels}": labels must never be public`);
    }
    if (features !== undefined && (within(features, p) || within(p, features))) {
      const how = p === features ? 'is' : within(p, features) ? 'is inside' : 'contains';
      leak(field, `"${p}" ${how} the test features "${features}": test features must never be downloadable`);
    }
  });
  if (features !== undefined && (within(data.labels, features) || within(features, data.labels))) {
    leak('data.labels', `"${data.labels}" is inside the test features folder "${features}" (or holds it): every run could read the labels`);
  }
  if (data.smoke && within(data.labels, data.smoke.features)) {
    leak('data.labels', `"${data.labels}" is inside the smoke features folder "${data.smoke.features}": smoke runs could read the labels`);
  }
  const smoke = data.smoke?.features;
  if (smoke !== undefined && features !== undefined && (within(smoke, features) || within(features, smoke))) {
    // A smoke run's whole log is shown to the participant: it could print every feature it reads.
    leak('data.smoke.features', `"${smoke}" overlaps the test features "${features}": smoke logs are shown in full, so take the smoke sample from public data`);
  }
  return { ok, issues };
}
