import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { runtimeNamePattern } from './runtime-recipe.js';

const manifestSchema = z.object({
  name: z.string(),
  distribution: z.string(),
  /** Installed version of each package the recipe lists. */
  packages: z.record(z.string(), z.string()),
  recipeDigest: z.string(),
  digest: z.string(),
  builtAt: z.string(),
});

/** What `manifest.json` beside a built root file system records. */
export type RuntimeManifest = z.infer<typeof manifestSchema>;

/** A runtime built on this host. */
export interface BuiltRuntime extends RuntimeManifest {
  /** Host folder of the root file system (read-only for runs). */
  rootfs: string;
}

const manifestFile = 'manifest.json';

/**
 * Where built runtimes live on a host: `<dir>/<name>/rootfs/` and `<dir>/<name>/manifest.json`.
 * A runtime is replaced as a whole (rename), so a reader sees the old one or the new one.
 * @remarks Every worker host needs the runtimes its competitions name, with the same digest: build
 * once and copy the `<name>` folder (tar, rsync -a keep the digest), or build on each host and
 * update the competitions.
 */
export class RuntimeStore {
  constructor(readonly dir: string) {}

  /** The folder of one runtime. */
  folder(name: string): string {
    if (!runtimeNamePattern.test(name)) throw new Error(`"${name}" is not a runtime name`);
    return path.join(this.dir, name);
  }

  /** The built runtime `name`, or undefined when it was never built here (or is incomplete). */
  async get(name: string): Promise<BuiltRuntime | undefined> {
    if (!runtimeNamePattern.test(name)) return undefined;
    let text: string;
    try {
      text = await readFile(path.join(this.folder(name), manifestFile), 'utf8');
    } catch {
      return undefined;
    }
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${path.join(this.folder(name), manifestFile)} is damaged; build the runtime again`);
    return { ...parsed.data, rootfs: path.join(this.folder(name), 'rootfs') };
  }

  /** Every runtime built here, sorted by name. */
  async list(): Promise<BuiltRuntime[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const built = await Promise.all(names.filter((n) => runtimeNamePattern.test(n)).sort().map((n) => this.get(n)));
    return built.filter((b): b is BuiltRuntime => b !== undefined);
  }

  /** A scratch folder beside the runtimes (same file system, so `install` is a rename). */
  stagingFolder(name: string): string {
    return path.join(this.dir, `.build-${name}-${process.pid}-${Date.now()}`);
  }

  /**
   * Makes `staging` (holding `rootfs/`) the runtime `name`: writes its manifest, then swaps it in.
   * The previous build is removed.
   */
  async install(name: string, staging: string, manifest: RuntimeManifest): Promise<BuiltRuntime> {
    await writeFile(path.join(staging, manifestFile), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
    const target = this.folder(name);
    const old = `${staging}.old`;
    const hadOld = await rename(target, old).then(() => true, () => false);
    await rename(staging, target);
    if (hadOld) await rm(old, { recursive: true, force: true });
    return { ...manifest, rootfs: path.join(target, 'rootfs') };
  }
}
