import type { CompetitionConfig } from '../domain/competition.js';
import type { DataImage, DataImages } from './data-image.js';
import { DataImageError } from './data-image.js';
import { filesDigest } from './files-digest.js';
import type { DataImageCache } from './image-cache.js';

/**
 * Host folders that already hold a competition's features on every worker (an NFS, Azure Files or
 * disk volume), from HOLDOUT_DATA_PATHS: "slug=/path" for the test features, "slug:smoke=/path"
 * for the smoke features, comma-separated.
 * @throws Error naming the entry that is not of that form.
 */
export function parseDataPaths(text: string | undefined): ReadonlyMap<string, string> {
  const paths = new Map<string, string>();
  for (const entry of (text ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const m = /^([a-z0-9][a-z0-9-]*(?::smoke)?)=(\/.*)$/.exec(entry);
    if (!m) throw new Error(`"${entry}" is not slug=/absolute/path or slug:smoke=/absolute/path`);
    paths.set(m[1]!, m[2]!);
  }
  return paths;
}

/**
 * Where a run's features come from: a host-provided folder (checked once per process against the
 * digest recorded at install), else the competition's data image mounted read-only, else
 * undefined: the caller uses the files copied into its bundle cache.
 */
export class TestFeatures {
  private readonly checked = new Map<string, Promise<void>>();

  constructor(
    private readonly images: DataImageCache | undefined,
    private readonly hostPaths: ReadonlyMap<string, string> = new Map(),
  ) {}

  /**
   * The bundle folders this resolver serves for a competition, which a worker's bundle copy can
   * leave out; not one holding a file the scorer reads (a submission format kept beside the features).
   */
  served(competition: { slug: string; dataImages?: DataImages; config: { data: CompetitionConfig['data'] } }): string[] {
    const { test, smoke } = competition.dataImages ?? {};
    const { data } = competition.config;
    const scorerFiles = [data.labels, data.submissionFormat, ...(data.smoke ? [data.smoke.labels, data.smoke.submissionFormat] : [])].filter((f): f is string => f !== undefined);
    const serves = (image: DataImage | undefined, name: string): image is DataImage =>
      image !== undefined &&
      (this.hostPaths.has(name) || this.images !== undefined) &&
      !scorerFiles.some((f) => f.startsWith(image.folder.endsWith('/') ? image.folder : `${image.folder}/`));
    return [...(serves(test, competition.slug) ? [test.folder] : []), ...(serves(smoke, `${competition.slug}:smoke`) ? [smoke.folder] : [])];
  }

  /** @throws DataImageError when the host folder does not hold what was installed, or the image cannot be used. */
  async folder(competition: { slug: string; dataImages?: DataImages }, smoke: boolean): Promise<string | undefined> {
    const image = smoke ? competition.dataImages?.smoke : competition.dataImages?.test;
    const name = smoke ? `${competition.slug}:smoke` : competition.slug;
    const hostPath = this.hostPaths.get(name);
    if (hostPath !== undefined) {
      if (!image) throw new DataImageError(`HOLDOUT_DATA_PATHS names ${hostPath} for ${name}, but the competition was installed without a recorded digest to check it against: install it again on a host with erofs-utils`);
      await this.check(hostPath, image.filesDigest, name);
      return hostPath;
    }
    return image && this.images ? this.images.get(image) : undefined;
  }

  private check(folder: string, expected: string, name: string): Promise<void> {
    const key = `${folder}\0${expected}`;
    let p = this.checked.get(key);
    if (!p) {
      p = filesDigest(folder).then((actual) => {
        if (actual !== expected) {
          throw new DataImageError(`HOLDOUT_DATA_PATHS names ${folder} for ${name}, but its files' digest is ${actual}, not ${expected} as installed: copy the competition's features there again (or remove the entry to use the data image)`);
        }
      });
      // A refusal is not kept: the next attempt checks the folder again, after a host fixed it.
      p.catch(() => this.checked.delete(key));
      this.checked.set(key, p);
    }
    return p;
  }
}
