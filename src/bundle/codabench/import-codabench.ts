import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { extractZip } from '../../archive/safe-unzip.js';
import { BundleError } from '../bundle-error.js';
import { configFile, loadBundle, type LoadedBundle } from '../load-bundle.js';
import { codabenchHarness } from './codabench-harness.js';
import { CodabenchError, convertCodabench } from './convert-codabench.js';

/** Name the Codabench competition.yaml keeps in the imported bundle, for reference. */
export const keptCodabenchYaml = 'codabench-competition.yaml';

export interface ImportedBundle {
  /** The Holdout bundle folder written. */
  dir: string;
  bundle: LoadedBundle;
  /** What was not carried over or was carried over differently, one line each. */
  notes: string[];
}

/** Limits on a Codabench zip's contents: bundles carry their datasets. */
const zipLimits = { maxBytes: 8 * 1024 ** 3, maxFiles: 200_000 };

/**
 * Converts a Codabench bundle (its zip, or the unpacked folder) into a Holdout bundle beside it
 * (`wheat.zip` → `wheat-holdout/`): every file is kept, `competition.yaml` is rewritten (the
 * original kept as `codabench-competition.yaml`), the pages and terms become `overview.md`, and
 * an ingestion program becomes the harness.
 * @throws CodabenchError when the source cannot be read as Codabench; BundleError when the result
 * does not load as a Holdout bundle. Nothing is left behind when it throws: the bundle is built
 * in a temporary folder beside the target and renamed into place only once it loads.
 */
export async function importCodabench(source: string, target?: string): Promise<ImportedBundle> {
  const info = await stat(source).catch(() => undefined);
  if (info === undefined) throw new CodabenchError(`${source}: not found`);
  const out = path.resolve(target ?? path.join(path.dirname(source), `${path.basename(source).replace(/\.zip$/i, '')}-holdout`));
  if (existsSync(out)) throw new CodabenchError(`${out} exists already; remove it or name another folder`);
  const work = await mkdtemp(path.join(path.dirname(out), `.${path.basename(out)}-`));
  try {
    if (info.isDirectory()) await cp(source, work, { recursive: true, verbatimSymlinks: true });
    else await extractZip(source, work, zipLimits);
    // macOS zips carry resource forks: not part of the competition.
    await rm(path.join(work, '__MACOSX'), { recursive: true, force: true });
    const root = await bundleRoot(work);
    const yamlText = await readFile(path.join(root, configFile), 'utf8');
    const doc = parseDocument(yamlText, { uniqueKeys: false });
    if (doc.errors.length > 0) throw new CodabenchError(`competition.yaml: invalid YAML: ${(doc.errors[0]?.message ?? '').split('\n')[0]}`);
    const { yaml, pages, notes, solutions, ingestion } = convertCodabench(doc.toJS({ maxAliasCount: 100 }));
    if (ingestion !== undefined) {
      const made = codabenchHarness(ingestion, await ingestionMetadata(path.join(root, ingestion)));
      if ('harness' in made) yaml['harness'] = made.harness;
      notes.push('harness' in made ? made.note : made.problem);
      const entry = await sampleEntryFile(root, solutions);
      if ('harness' in made && entry !== undefined) {
        yaml['entrypoint'] = `python3 ${entry}`;
        notes.push(`entrypoint: python3 ${entry}, the file a code submission must have at its top (as the sample solution has); the harness runs, not it`);
      } else if ('harness' in made) notes.push('entrypoint: python main.py (none found in a sample solution); a code submission must have main.py at its top until you name the file it must have');
    }

    // A result submission may be the bare file: named as the sample results name it, when they hold one
    // (a sample of a bundle with an ingestion program is code).
    const sample = solutions.length > 0 && ingestion === undefined ? await readdir(path.join(root, solutions[0]!)).catch(() => []) : [];
    if (sample.length === 1 && sample[0] !== 'submission.csv') yaml['predictions_file'] = sample[0];
    const sections: string[] = [];
    for (const page of pages) {
      let body = page.text;
      if (page.file !== undefined) body = await readFile(path.join(root, page.file), 'utf8').catch(() => undefined);
      if (body === undefined) notes.push(`page "${page.title}": ${page.file ?? ''} is not in the bundle; left out`);
      else sections.push(`## ${page.title}\n\n${body.trim()}\n`);
    }
    await writeFile(path.join(root, 'overview.md'), sections.join('\n'));
    await rename(path.join(root, configFile), path.join(root, keptCodabenchYaml));
    const header = `# Imported from a Codabench bundle by "holdout competition import codabench"; the original is ${keptCodabenchYaml}.\n`;
    await writeFile(path.join(root, configFile), header + notes.map((n) => `# note: ${n}\n`).join('') + stringify(yaml));
    // Checked before it is put in place: a bundle that would not install is not written at all.
    await loadBundle(root);
    await rename(root, out);
    return { dir: out, bundle: await loadBundle(out), notes };
  } catch (error) {
    if (error instanceof BundleError) throw new BundleError(error.issues.map((i) => ({ ...i, message: `${i.message} (in the imported bundle)` })));
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The Python file a code submission must hold, as the first sample solution with one shows:
 * its `model.py` (what Codabench ingestion programs usually import), else its only .py file.
 */
async function sampleEntryFile(root: string, solutions: readonly string[]): Promise<string | undefined> {
  for (const solution of solutions) {
    const files = (await readdir(path.join(root, solution)).catch(() => [])).filter((f) => f.endsWith('.py'));
    if (files.includes('model.py')) return 'model.py';
    if (files.length === 1) return files[0];
  }
  return undefined;
}

/** An ingestion program's metadata.yaml (or `metadata`, which Codabench also reads), parsed; undefined without one. */
async function ingestionMetadata(dir: string): Promise<unknown> {
  for (const name of ['metadata.yaml', 'metadata']) {
    const text = await readFile(path.join(dir, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new CodabenchError(`${path.basename(dir)}/${name}: invalid YAML: ${(doc.errors[0]?.message ?? '').split('\n')[0]}`);
    return doc.toJS();
  }
  return undefined;
}

/** The folder holding competition.yaml: the top, or the one folder a zip wrapped it in. */
async function bundleRoot(dir: string): Promise<string> {
  if (existsSync(path.join(dir, configFile))) return dir;
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('__MACOSX'));
  const only = entries.length === 1 && entries[0]!.isDirectory() ? path.join(dir, entries[0]!.name) : undefined;
  if (only !== undefined && existsSync(path.join(only, configFile))) return only;
  throw new CodabenchError('no competition.yaml at the top of the bundle (or in its one folder)');
}
