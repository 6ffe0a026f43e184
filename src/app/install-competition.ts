import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { bundleManifest, digestOfManifest } from '../bundle/bundle-digest.js';
import { BundleError } from '../bundle/bundle-error.js';
import { loadBundle } from '../bundle/load-bundle.js';
import { dataImageKey } from '../data-images/data-image.js';
import { publishDataImages } from '../data-images/publish-images.js';
import type { CompetitionsRepo, StoredCompetition } from '../db/competitions-repo.js';
import type { Executor } from '../executors/executor.js';
import type { Podman } from '../runtimes/podman.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { Config } from './config.js';
import { recordRuntimes } from './record-runtime.js';

/** Blob prefix of one bundle version; the digest makes it immutable and shareable. */
export function bundlePrefix(slug: string, digest: string): string {
  return `bundles/${slug}/${digest.replace(':', '-')}`;
}

/**
 * Validates a bundle folder, copies its files to the blob store (once per content digest) and
 * creates or updates the competition, recording the image ID and pull reference of its runtime
 * and of each phase's own (see record-runtime.ts), and packs its test and smoke features into read-only data images
 * (src/data-images) where this host has erofs-utils. Submissions of an updated competition are kept.
 * @throws BundleError listing every problem, before anything is written.
 */
export async function installCompetition(
  dir: string,
  deps: { blobs: BlobStore; competitions: CompetitionsRepo; config: Pick<Config, 'runtimesDir'>; podman?: Podman; executor?: Pick<Executor, 'cannotRunHarness'> },
): Promise<StoredCompetition> {
  const loaded = await loadBundle(dir);
  // This host's workers would fail every run of it: refuse now, not one submission at a time.
  const refusal = loaded.config.harness ? deps.executor?.cannotRunHarness : undefined;
  if (refusal !== undefined) throw new BundleError([{ file: 'competition.yaml', field: 'harness', message: `cannot run here: ${refusal}` }]);
  // The competition's runtime and each phase's own, as image IDs and pull references.
  const recorded = await recordRuntimes(loaded.config, { runtimesDir: deps.config.runtimesDir, ...(deps.podman ? { podman: deps.podman } : {}) });
  const manifest = await bundleManifest(loaded.root, loaded.files);
  // What a score depends on besides the code: the test features and the labels (the competition's and
  // each phase's own), named on their own so a result traces to its data even when other files of
  // the bundle (the overview, say) changed.
  const testData = [loaded.config.data, ...loaded.config.phases.map((p) => p.own?.data)]
    .flatMap((d) => (d ? [d.testFeatures, d.labels] : []))
    .flatMap((p) => (p === undefined ? [] : [p.replace(/\/+$/, '')]));
  const inTestData = (f: string) => testData.some((root) => f === root || f.startsWith(`${root}/`));
  const testDataDigest = digestOfManifest(new Map([...manifest].filter(([f]) => inTestData(f))));
  const bundle = { ...loaded, config: { ...recorded, testDataDigest } };
  const digest = digestOfManifest(manifest);
  const prefix = bundlePrefix(bundle.config.slug, digest);
  const marker = `${prefix}/.complete`;
  if (!(await deps.blobs.stat(marker))) {
    for (const rel of bundle.files) {
      await deps.blobs.put(`${prefix}/files/${rel}`, createReadStream(path.join(bundle.root, rel)));
    }
    // Written last: a reader that sees the marker sees every file.
    await deps.blobs.put(marker, createReadStream('/dev/null'));
  }
  // Lets a worker fetch all but the features an image serves and still check the rest (bundle-cache.ts).
  const manifestKey = `${prefix}/manifest.json`;
  if (!(await deps.blobs.stat(manifestKey))) await deps.blobs.put(manifestKey, Readable.from([JSON.stringify(Object.fromEntries(manifest))]));
  const existing = await deps.competitions.bySlug(bundle.config.slug);
  // The same bundle installed again keeps its images while they are still stored: packing reads every byte.
  const kept = existing?.bundleDigest === digest ? existing.dataImages : undefined;
  const dataImages = kept && (await deps.blobs.stat(dataImageKey(kept.test.digest))) ? kept : await publishDataImages({ ...bundle, manifest }, deps.blobs);
  return deps.competitions.upsert({
    id: existing?.id ?? randomUUID(),
    config: bundle.config,
    bundleKey: prefix,
    bundleDigest: digest,
    ...(dataImages ? { dataImages } : {}),
  });
}
