import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { runtimeNamePattern } from './runtime-recipe.js';

const manifestSchema = z.object({
  name: z.string(),
  distribution: z.string(),
  /** Installed version of each package the recipe lists. */
  packages: z.record(z.string(), z.string()),
  recipeDigest: z.string(),
  /** The image ID ("sha256:<hex>" of the image config): it survives push, pull, save and load unchanged. */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** The local tag of this build (`localhost/holdout-runtime/<name>:<12 hex of the image ID>`). */
  image: z.string(),
  /** The image ID of the debootstrap base the Dockerfile was built on. */
  baseDigest: z.string(),
  builtAt: z.string(),
  /** Pinned references (`registry/repo@sha256:<manifest digest>`) this build was pushed to. */
  pushed: z.array(z.string()).default([]),
});

/** What `<runtimesDir>/<name>/manifest.json` records of the image last built from a recipe. */
export type RuntimeManifest = z.infer<typeof manifestSchema>;

/** A runtime image built on this host from a recipe. */
export type BuiltRuntime = RuntimeManifest;

const manifestFile = 'manifest.json';
/** `<runtimesDir>/images/` is the image cache of the sandbox (see image-cache.ts), not a runtime. */
export const imageCacheFolder = 'images';

/** Local name of a build of recipe `name`; the image ID part makes it name that build only. */
export function runtimeImageTag(name: string, digest: string): string {
  return `localhost/holdout-runtime/${name}:${digest.replace(/^sha256:/, '').slice(0, 12)}`;
}

/** The name that always points at the latest build of recipe `name`. */
export function latestRuntimeTag(name: string): string {
  return `localhost/holdout-runtime/${name}:latest`;
}

/**
 * What a host knows about the runtime images it built: `<dir>/<name>/manifest.json` per recipe
 * (the image itself lives in podman's storage). A manifest is replaced with a rename, so a reader
 * sees the old one or the new one.
 * @remarks Other worker hosts do not need to build: they pull the competition's recorded
 * `runtimeImage` (push it to a registry with `holdout runtime push`), and their sandbox unpacks it
 * once into `<dir>/images/`.
 */
export class RuntimeStore {
  constructor(readonly dir: string) {}

  /** The folder of one runtime's manifest. */
  folder(name: string): string {
    if (!runtimeNamePattern.test(name) || name === imageCacheFolder) throw new Error(`"${name}" is not a runtime name`);
    return path.join(this.dir, name);
  }

  /** The runtime `name` built here, or undefined when it was never built here. */
  async get(name: string): Promise<BuiltRuntime | undefined> {
    if (!runtimeNamePattern.test(name) || name === imageCacheFolder) return undefined;
    const file = path.join(this.folder(name), manifestFile);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const parsed = manifestSchema.safeParse(raw);
    // A manifest of the older root-file-system store has no image: the runtime must be built again.
    if (!parsed.success) throw new Error(`${file} is not a runtime image manifest (an older build?); run "holdout runtime build ${name} --force"`);
    return parsed.data;
  }

  /** Every runtime built here, sorted by name. */
  async list(): Promise<BuiltRuntime[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const built = await Promise.all(
      names
        .filter((n) => runtimeNamePattern.test(n) && n !== imageCacheFolder)
        .sort()
        .map((n) => this.get(n).catch(() => undefined)),
    );
    return built.filter((b): b is BuiltRuntime => b !== undefined);
  }

  /** Records `manifest` as the runtime `manifest.name` (replacing the previous one). */
  async save(manifest: RuntimeManifest): Promise<BuiltRuntime> {
    const checked = manifestSchema.parse(manifest);
    const folder = this.folder(checked.name);
    await mkdir(folder, { recursive: true, mode: 0o755 });
    const temp = path.join(folder, `.${manifestFile}.${process.pid}.${Date.now()}`);
    await writeFile(temp, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o644 });
    await rename(temp, path.join(folder, manifestFile));
    // The root file system folder of a build from before runtimes were images (a gigabyte, unused now).
    await rm(path.join(folder, 'rootfs'), { recursive: true, force: true });
    return checked;
  }
}
