import type { z } from 'zod';
import type { BundleIssue } from './bundle-error.js';
import { describeValue } from './fields.js';
import { didYouMean } from './suggest.js';

/** Top-level keys of Codabench's competition.yaml that Holdout's lacks. */
export const codabenchOnly: ReadonlySet<string> = new Set(['version', 'tasks', 'solutions', 'leaderboards', 'pages', 'terms', 'docker_image', 'image', 'html', 'registration_auto_approve', 'enable_detailed_results', 'queue', 'make_programs_available', 'docker_image_name']);

/** `["phases", 1, "end"]` → `phases[1].end`. */
export function formatField(segments: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

const typeNames: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  date: 'a date',
};

function bound(origin: string, value: number | bigint, inclusive: boolean | undefined, side: 'least' | 'most'): string {
  if (origin === 'array') return `must have at ${side} ${value} item${value === 1 ? '' : 's'}`;
  if (origin === 'string') return value === 1 && side === 'least' ? 'must not be empty' : `must be at ${side} ${value} characters long`;
  if (inclusive === false) return `must be ${side === 'least' ? 'greater' : 'less'} than ${value}`;
  return `must be at ${side} ${value}`;
}

/**
 * Words for zod's built-in checks: what was expected and what the bundle has. Messages that a
 * schema sets itself take precedence over these.
 */
export const bundleErrorMap: z.core.$ZodErrorMap = (issue) => {
  const got = issue.input === undefined ? '' : `, got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${typeNames[issue.expected] ?? issue.expected}${got}`;
    case 'too_small':
      return `${bound(issue.origin, issue.minimum, issue.inclusive, 'least')}${issue.origin === 'array' || issue.origin === 'string' ? '' : got}`;
    case 'too_big':
      return `${bound(issue.origin, issue.maximum, issue.inclusive, 'most')}${issue.origin === 'array' || issue.origin === 'string' ? '' : got}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}${got}`;
    case 'unrecognized_keys': {
      // One line per key: toBundleIssues turns each into its own issue, naming the key.
      const shape = (issue.inst?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
      const known = Object.keys(shape);
      return issue.keys
        .map((key) =>
          // A Codabench key is not a typo of a Holdout one ("pages" is not "phases").
          (issue.path ?? []).length === 0 && codabenchOnly.has(key)
            ? `a Codabench setting Holdout does not read; "holdout competition import codabench" converts a Codabench bundle. Expected one of: ${known.join(', ')}`
            : `unknown field${didYouMean(key, known)}; expected one of: ${known.join(', ')}`,
        )
        .join('\n');
    }
    default:
      return undefined;
  }
};

/** Zod's issues as bundle issues in `file`, one per unknown key. */
export function toBundleIssues(error: z.ZodError, file: string): BundleIssue[] {
  const issues: BundleIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const lines = issue.message.split('\n');
      issue.keys.forEach((key, i) => {
        issues.push({ file, field: formatField([...issue.path, key]), message: lines[i] ?? lines[0] ?? 'unknown field' });
      });
    } else {
      issues.push({ file, field: formatField(issue.path), message: issue.message });
    }
  }
  return issues;
}
