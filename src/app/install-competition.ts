import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { bundleDigest } from '../bundle/bundle-digest.js';
import { BundleError } from '../bundle/bundle-error.js';
import { loadBundle } from '../bundle/load-bundle.js';
import type { CompetitionsRepo, StoredCompetition } from '../db/competitions-repo.js';
import { RuntimeStore } from '../runtimes/runtime-store.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { Config } from './config.js';

/** Blob prefix of one bundle version; the digest makes it immutable and shareable. */
export function bundlePrefix(slug: string, digest: string): string {
  return `bundles/${slug}/${digest.replace(':', '-')}`;
}

/**
 * The content digest of the runtime a competition names, from this host's built runtimes;
 * undefined for "host".
 * @throws BundleError when the runtime is not built here: its digest could not be recorded.
 */
async function recordedRuntimeDigest(runtime: string, runtimesDir: string): Promise<string | undefined> {
  if (runtime === 'host') return undefined;
  const built = await new RuntimeStore(runtimesDir).get(runtime);
  if (built) return built.digest;
  throw new BundleError([
    {
      file: 'competition.yaml',
      field: 'runtime',
      message: `runtime "${runtime}" is not built on this host (${runtimesDir}); run "holdout runtime build ${runtime}" first, or use runtime: host`,
    },
  ]);
}

/**
 * Validates a bundle folder, copies its files to the blob store (once per content digest) and
 * creates or updates the competition, recording the content digest of its runtime. Submissions
 * of an updated competition are kept.
 * @throws BundleError listing every problem, before anything is written.
 */
export async function installCompetition(
  dir: string,
  deps: { blobs: BlobStore; competitions: CompetitionsRepo; config: Pick<Config, 'runtimesDir'> },
): Promise<StoredCompetition> {
  const loaded = await loadBundle(dir);
  const runtimeDigest = await recordedRuntimeDigest(loaded.config.runtime, deps.config.runtimesDir);
  const bundle = runtimeDigest === undefined ? loaded : { ...loaded, config: { ...loaded.config, runtimeDigest } };
  const digest = await bundleDigest(bundle.root, bundle.files);
  const prefix = bundlePrefix(bundle.config.slug, digest);
  const marker = `${prefix}/.complete`;
  if (!(await deps.blobs.stat(marker))) {
    for (const rel of bundle.files) {
      await deps.blobs.put(`${prefix}/files/${rel}`, createReadStream(path.join(bundle.root, rel)));
    }
    // Written last: a reader that sees the marker sees every file.
    await deps.blobs.put(marker, createReadStream('/dev/null'));
  }
  const existing = await deps.competitions.bySlug(bundle.config.slug);
  return deps.competitions.upsert({ id: existing?.id ?? randomUUID(), config: bundle.config, bundleKey: prefix, bundleDigest: digest });
}
