import { BundleError } from '../bundle/bundle-error.js';
import type { CompetitionConfig } from '../domain/competition.js';
import { Podman, PodmanError } from '../runtimes/podman.js';
import { RuntimeStore } from '../runtimes/runtime-store.js';

/** What a competition records of its runtime when it is installed or updated. */
export type RecordedRuntime = Pick<CompetitionConfig, 'runtimeDigest' | 'runtimeImage'>;

function refuse(field: string, message: string): never {
  throw new BundleError([{ file: 'competition.yaml', field, message }]);
}

/**
 * The competition's runtime as recorded (see `recordRuntime`), and each phase's own runtime in
 * its place (its errors named `phases[i].runtime...`): the configuration to store.
 */
export async function recordRuntimes(config: CompetitionConfig, deps: { runtimesDir: string; podman?: Podman }): Promise<CompetitionConfig> {
  const recorded = await recordRuntime(config, deps);
  const phases = [];
  for (const [i, phase] of config.phases.entries()) {
    const own = phase.own?.runtime;
    if (own === undefined) {
      phases.push(phase);
      continue;
    }
    const declared = { runtime: own.name, ...(own.digest ? { runtimeDigest: own.digest } : {}), ...(own.image ? { runtimeImage: own.image } : {}) };
    const { runtimeDigest, runtimeImage } = await recordRuntime(declared, deps, `phases[${i}].`);
    const runtime = { name: own.name, ...(runtimeDigest ? { digest: runtimeDigest } : {}), ...(runtimeImage ? { image: runtimeImage } : {}) };
    phases.push({ ...phase, own: { ...phase.own, runtime } });
  }
  return { ...config, ...recorded, phases };
}

/**
 * The image ID and pull reference a competition's runtime has on this host: for a recipe, its
 * latest build here (pulled elsewhere from where it was last pushed, else its local tag); for
 * `runtime: { image }`, that image, pulled when podman's storage lacks it; nothing for "host".
 * @throws BundleError saying how to fix it: a recipe not built here, an image that cannot be
 * pulled (unknown, registry refused), an image ID other than the one competition.yaml declares.
 */
export async function recordRuntime(
  config: Pick<CompetitionConfig, 'runtime' | 'runtimeDigest' | 'runtimeImage'>,
  deps: { runtimesDir: string; podman?: Podman },
  /** Where the runtime is declared, before `runtime` in error fields: `phases[1].` for a phase's own. */
  at = '',
): Promise<RecordedRuntime> {
  if (config.runtime === 'host' && config.runtimeImage === undefined) return {};
  const podman = deps.podman ?? new Podman();
  const idOf = async (field: string, ref: string, pull: boolean): Promise<string | undefined> => {
    try {
      return (await podman.imageId(ref)) ?? (pull ? await podman.pull(ref) : undefined);
    } catch (error) {
      if (!(error instanceof PodmanError)) throw error;
      const fix = {
        image_missing: 'check the reference ("holdout runtime push" prints the one to use)',
        registry_refused: 'start the registry or fix its address, or pull the image on this host first ("holdout runtime pull")',
        podman_missing: 'install podman on the host that installs the competition',
        failed: 'see podman\'s message',
      }[error.failure];
      return refuse(`${at}${field}`, `${error.message}; ${fix}`);
    }
  };

  if (config.runtimeImage === undefined) {
    const built = await new RuntimeStore(deps.runtimesDir).get(config.runtime);
    if (!built) {
      return refuse(`${at}runtime`, `runtime "${config.runtime}" is not built on this host (${deps.runtimesDir}); run "holdout runtime build ${config.runtime}" first, use runtime: { image: registry/repo@sha256:… }, or runtime: host`);
    }
    if ((await idOf('runtime', built.digest, false)) !== built.digest) {
      return refuse(`${at}runtime`, `the image of runtime "${config.runtime}" (${built.digest}) is no longer in podman's storage; run "holdout runtime build ${config.runtime} --force"`);
    }
    return { runtimeDigest: built.digest, runtimeImage: built.pushed.at(-1) ?? built.image };
  }

  const id = await idOf('runtime.image', config.runtimeImage, true);
  if (id === undefined) return refuse(`${at}runtime.image`, `image ${config.runtimeImage} could not be found`);
  if (config.runtimeDigest !== undefined && id !== config.runtimeDigest) {
    return refuse(
      `${at}runtime.digest`,
      `image ${config.runtimeImage} has image ID ${id}, not the declared ${config.runtimeDigest}; pin the image you mean (registry/repo@sha256:<manifest digest>) or declare its ID`,
    );
  }
  return { runtimeDigest: id, runtimeImage: config.runtimeImage };
}
