/** One problem found in a bundle. */
export interface BundleIssue {
  /** Bundle-relative file the problem is in (`competition.yaml`, a data file, a link). */
  file: string;
  /**
   * The `competition.yaml` setting involved, as a path such as `limits.memory` or
   * `phases[1].end`; empty when no single setting is (a YAML syntax error, a stray link).
   */
  field: string;
  /** What is wrong and, where it helps, what is expected instead. */
  message: string;
}

/** `competition.yaml: limits.memory: expected a size such as "2GiB", got "lots"`. */
export function formatIssue(issue: BundleIssue): string {
  return [issue.file, issue.field, issue.message].filter((part) => part !== '').join(': ');
}

/**
 * A bundle that cannot be loaded, with every problem found (not only the first), so a host can
 * fix them in one go. The message lists one issue per line.
 */
export class BundleError extends Error {
  override readonly name = 'BundleError';

  constructor(readonly issues: readonly BundleIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`invalid competition bundle (${count}):\n${issues.map(formatIssue).join('\n')}`);
  }
}
