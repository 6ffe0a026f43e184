import type { DataConfig } from '../domain/competition.js';
import type { BundleIssue } from './bundle-error.js';
import { pathIssue, within } from './check-data.js';
import type { BundleTree } from './walk-bundle.js';

/**
 * Checks `harness.files`: a folder of the bundle that participants can neither download nor read
 * as data, so it must not overlap the public files, the smoke sample, the test features or the labels.
 */
export function checkHarnessFiles(tree: BundleTree, dir: string, data: DataConfig | undefined): BundleIssue[] {
  const issue = (message: string): BundleIssue => ({ file: 'competition.yaml', field: 'harness.files', message });
  const missing = pathIssue(tree, dir, 'folder');
  if (missing !== undefined) return [issue(missing)];
  if (data === undefined) return [];
  const named: [string, string][] = [
    ...data.public.map((p, i): [string, string] => [`data.public[${i}]`, p]),
    ['data.test_features', data.testFeatures],
    ['data.labels', data.labels],
    ...(data.smoke ? ([['data.smoke.features', data.smoke.features], ['data.smoke.labels', data.smoke.labels]] as [string, string][]) : []),
  ];
  return named
    .filter(([, p]) => within(p, dir) || within(dir, p))
    .map(([field, p]) => issue(`"${dir}" overlaps ${field} ("${p}"): the harness's files are never shown to participants nor mounted as data; keep them in a folder of their own`));
}
