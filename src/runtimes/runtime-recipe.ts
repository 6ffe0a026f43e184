import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** A recipe cannot be used; the message names the file and the fix. */
export class RuntimeRecipeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeRecipeError';
  }
}

/** Names of runtimes: they become folder names and appear in `competition.yaml`. */
export const runtimeNamePattern = /^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/;
/** Debian package names (Debian Policy 5.6.1), optionally with an architecture qualifier. */
const packageNamePattern = /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9-]+)?$/;

const recipeSchema = z.strictObject({
  description: z.string().trim().min(1),
  distribution: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a Debian suite name such as "bookworm"'),
  test: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must name a file beside runtime.yaml'),
});

/**
 * A runtime recipe: `runtimes/<name>/` holds `runtime.yaml` (distribution, description, test),
 * `packages.txt` (Debian packages, one a line) and the test program.
 */
export interface RuntimeRecipe {
  name: string;
  /** The recipe's folder. */
  dir: string;
  description: string;
  /** Debian suite, e.g. "bookworm". */
  distribution: string;
  /** Debian packages installed with apt on top of debootstrap's minbase. */
  packages: string[];
  /** File name, in `dir`, of the program `runtime test` runs inside the runtime. */
  test: string;
  /**
   * sha256 of the recipe's files (the Dockerfile included): a built image records it, so a
   * rebuild is needed only when the recipe changed.
   */
  recipeDigest: string;
}

/** Parses `packages.txt`: one package a line, `#` starts a comment. Pure. */
export function parsePackageList(text: string, file = 'packages.txt'): string[] {
  const packages: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    if (!packageNamePattern.test(line)) {
      throw new RuntimeRecipeError(`${file}:${i + 1}: "${line}" is not a Debian package name (one package a line)`);
    }
    packages.push(line);
  });
  if (packages.length === 0) throw new RuntimeRecipeError(`${file}: lists no package`);
  return packages;
}

async function readRecipeFile(dir: string, file: string): Promise<string> {
  try {
    return await readFile(path.join(dir, file), 'utf8');
  } catch {
    throw new RuntimeRecipeError(`${path.join(dir, file)} is missing: a runtime recipe needs runtime.yaml, packages.txt and its test program`);
  }
}

/**
 * Reads and checks the recipe `recipesDir/<name>/`.
 * @throws RuntimeRecipeError naming what is wrong (and the known recipes for an unknown name).
 */
export async function loadRuntimeRecipe(recipesDir: string, name: string): Promise<RuntimeRecipe> {
  if (!runtimeNamePattern.test(name)) throw new RuntimeRecipeError(`"${name}" is not a runtime name (lowercase letters, digits and "-")`);
  const known = await listRuntimeRecipes(recipesDir);
  if (!known.includes(name)) {
    throw new RuntimeRecipeError(`no runtime recipe "${name}" in ${recipesDir} (known: ${known.join(', ') || 'none'})`);
  }
  const dir = path.join(recipesDir, name);
  const yamlText = await readRecipeFile(dir, 'runtime.yaml');
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (error) {
    throw new RuntimeRecipeError(`${path.join(dir, 'runtime.yaml')}: invalid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = recipeSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new RuntimeRecipeError(`${path.join(dir, 'runtime.yaml')}: ${issues}`);
  }
  const packagesText = await readRecipeFile(dir, 'packages.txt');
  const testText = await readRecipeFile(dir, parsed.data.test);
  // The Dockerfile builds the image: a change to it needs a new build as much as a new package does.
  const dockerfileText = await readFile(path.join(dir, 'Dockerfile'), 'utf8').catch(() => '');
  const digest = createHash('sha256');
  for (const [file, text] of [['runtime.yaml', yamlText], ['packages.txt', packagesText], [parsed.data.test, testText], ['Dockerfile', dockerfileText]] as const) {
    digest.update(`${file}\0${text.length}\0${text}`);
  }
  return {
    name,
    dir,
    description: parsed.data.description,
    distribution: parsed.data.distribution,
    packages: parsePackageList(packagesText, path.join(dir, 'packages.txt')),
    test: parsed.data.test,
    recipeDigest: `sha256:${digest.digest('hex')}`,
  };
}

/** Names of the recipes in `recipesDir` (folders holding a runtime.yaml), sorted. */
export async function listRuntimeRecipes(recipesDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(recipesDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !runtimeNamePattern.test(entry.name)) continue;
    const has = await readdir(path.join(recipesDir, entry.name)).then((f) => f.includes('runtime.yaml'), () => false);
    if (has) names.push(entry.name);
  }
  return names.sort();
}
