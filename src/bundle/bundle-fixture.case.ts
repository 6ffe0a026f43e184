import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { parse, stringify } from 'yaml';
import { BundleError, type BundleIssue } from './bundle-error.js';
import { loadBundle } from './load-bundle.js';

/** The committed demo bundle, built by examples/digits/make_bundle.py. */
export const demoBundle = fileURLToPath(new URL('../../examples/digits/bundle/', import.meta.url));

/** A private copy of the demo bundle, removed after the test. */
export async function copyDemo(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(demoBundle, dir, { recursive: true });
  return dir;
}

/** Rewrites `competition.yaml` through its parsed form. */
export async function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): Promise<void> {
  const file = path.join(dir, 'competition.yaml');
  const config = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(config);
  await writeFile(file, stringify(config));
}

/** Rewrites a (quote-free) CSV file of the bundle row by row. */
export async function editCsv(dir: string, rel: string, edit: (rows: string[][]) => string[][]): Promise<void> {
  const file = path.join(dir, rel);
  const rows = (await readFile(file, 'utf8')).trimEnd().split('\n').map((line) => line.split(','));
  await writeFile(file, `${edit(rows).map((row) => row.join(',')).join('\n')}\n`);
}

/** The issues loading `dir` reports; fails the test if it loads. */
export async function issuesOf(dir: string): Promise<BundleIssue[]> {
  try {
    await loadBundle(dir);
  } catch (err) {
    assert.ok(err instanceof BundleError, `expected a BundleError, got ${String(err)}`);
    return [...err.issues];
  }
  assert.fail('the bundle loaded but should not have');
}

/** Asserts that one issue names `file` and `field` with a message matching `message`. */
export function assertIssue(issues: readonly BundleIssue[], file: string, field: string, message: RegExp | string): void {
  const found = issues.find((i) => i.file === file && i.field === field);
  const list = issues.map((i) => `${i.file} | ${i.field} | ${i.message}`).join('\n');
  assert.ok(found, `no issue for ${file} | ${field} among:\n${list}`);
  if (typeof message === 'string') assert.equal(found.message, message);
  else assert.match(found.message, message);
}

/** `config.a.b[0]` for tests that edit nested YAML. */
export function at(config: Record<string, unknown>, ...keys: Array<string | number>): Record<string, unknown> {
  let node: unknown = config;
  for (const key of keys) node = (node as Record<string | number, unknown>)[key];
  return node as Record<string, unknown>;
}
