import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../../app/config.js';
import { createExecutor } from '../../executors/create-executor.js';
import { buildRuntime } from '../../runtimes/build-runtime.js';
import { pinnedReference } from '../../domain/image-reference.js';
import { Podman, PodmanError } from '../../runtimes/podman.js';
import { listRuntimeRecipes, loadRuntimeRecipe, type RuntimeRecipe, RuntimeRecipeError, runtimeNamePattern } from '../../runtimes/runtime-recipe.js';
import { type BuiltRuntime, RuntimeStore } from '../../runtimes/runtime-store.js';
import { testRuntime } from '../../runtimes/test-runtime.js';
import { formatTable, type Output, outputOf } from '../cli-output.js';
import { fetchCompetition } from '../competition-details.js';
import { connect } from '../connect.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { shippedRecipes } from '../package-root.js';

interface RuntimeOptions {
  recipes: string;
  runtimesDir?: string;
}

function storeOf(opts: RuntimeOptions): RuntimeStore {
  return new RuntimeStore(path.resolve(opts.runtimesDir ?? loadConfig(process.env, { workers: 0 }).runtimesDir));
}

async function recipeOf(opts: RuntimeOptions, name: string): Promise<RuntimeRecipe> {
  try {
    return await loadRuntimeRecipe(path.resolve(opts.recipes), name);
  } catch (error) {
    if (error instanceof RuntimeRecipeError) {
      throw new CliError(error.message, error.message.startsWith('no runtime recipe') ? exitCodes.notFound : exitCodes.invalidInput);
    }
    throw error;
  }
}

/** podman's failures become CLI errors with the exit code a script can act on. */
async function podmanStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof PodmanError)) throw error;
    const code = { podman_missing: exitCodes.failure, image_missing: exitCodes.notFound, registry_refused: exitCodes.unreachable, failed: exitCodes.failure }[error.failure];
    throw new CliError(error.message, code, error.failure);
  }
}

/** Builds the recipe unless the image of this very recipe is built here already (or `force`). */
async function ensureBuilt(
  recipe: RuntimeRecipe,
  store: RuntimeStore,
  out: Output,
  local: { mirror?: string; force?: boolean; refreshBase?: boolean; verbose?: boolean },
): Promise<{ built: BuiltRuntime; fresh: boolean }> {
  // A record of the older root-file-system store is no build of an image: build again.
  const existing = await store.get(recipe.name).catch(() => undefined);
  const podman = new Podman();
  if (existing && existing.recipeDigest === recipe.recipeDigest && !local.force && (await podmanStep(() => podman.imageId(existing.digest))) === existing.digest) {
    return { built: existing, fresh: false };
  }
  const built = await podmanStep(() =>
    buildRuntime(recipe, store, {
      podman,
      ...(local.mirror ? { mirror: local.mirror } : {}),
      ...(local.refreshBase ? { refreshBase: true } : {}),
      onStep: (step) => out.note(`${recipe.name}: ${step}`),
      ...(local.verbose ? { onOutput: (chunk: Buffer) => process.stderr.write(chunk) } : {}),
    }),
  );
  return { built, fresh: true };
}

/** A name built here stands for its image; anything else is an image reference. */
async function imageOf(store: RuntimeStore, nameOrRef: string): Promise<{ ref: string; built?: BuiltRuntime }> {
  if (runtimeNamePattern.test(nameOrRef) && !nameOrRef.includes('/')) {
    const built = await store.get(nameOrRef);
    if (!built) throw new CliError(`runtime ${nameOrRef} is not built in ${store.dir}; run "holdout runtime build ${nameOrRef}"`, exitCodes.notFound);
    return { ref: built.digest, built };
  }
  return { ref: nameOrRef };
}

const tlsOption = ['--tls-verify <bool>', 'require HTTPS and a valid certificate from the registry (false for a plain-HTTP one)'] as const;
function tlsOf(value: string | undefined): { tlsVerify?: boolean } {
  if (value === undefined) return {};
  if (value !== 'true' && value !== 'false') throw new CliError(`--tls-verify takes true or false, not "${value}"`, exitCodes.usage);
  return { tlsVerify: value === 'true' };
}

/** The image `runtime pull` pulls: the one named, or that of the competition's phase, with the image ID it must have. */
async function pullTarget(ref: string | undefined, local: { competition?: string; phase?: string }, cmd: Command): Promise<{ reference: string; digest: string | null; of: string; phase?: string | null }> {
  if ((ref === undefined) === (local.competition === undefined)) throw new CliError('name an image, or --competition SLUG for its runtime image (not both)', exitCodes.usage);
  if (ref !== undefined) {
    if (local.phase !== undefined) throw new CliError('--phase goes with --competition', exitCodes.usage);
    return { reference: ref, digest: null, of: ref };
  }
  const slug = local.competition ?? '';
  const details = await fetchCompetition(await connect(cmd, false), slug, local.phase);
  if (details.runsPhase === undefined || details.runtimeImage === undefined) throw new CliError('the server does not name its runtime images (it runs an older Holdout); pull the image by name', exitCodes.failure);
  const of = `"${slug}"${details.runsPhase === null ? '' : ` (phase ${details.runsPhase})`}`;
  if (details.runtimeImage === null) {
    const how = details.runtime === 'host' ? "runs on the workers' own system (runtime host): there is no image to pull" : `runs in runtime ${details.runtime}, built from its recipe rather than pulled: "holdout runtime build ${details.runtime}"`;
    throw new CliError(`${of} ${how}`, exitCodes.notFound, 'no_runtime_image');
  }
  return { reference: details.runtimeImage.reference, digest: details.runtimeImage.digest, of, phase: details.runsPhase };
}

/** `holdout runtime list|build|test|export|push|pull`: runtime images, built from recipes in runtimes/<name>/. */
export function runtimeCommand(): Command {
  const runtime = new Command('runtime')
    .description('build, check and share runtime images made from a recipe in runtimes/<name>/ (podman)')
    .option('--recipes <dir>', 'folder of runtime recipes', shippedRecipes)
    .option('--runtimes-dir <dir>', 'folder of build records and unpacked images (default: HOLDOUT_RUNTIMES_DIR, else <HOLDOUT_DATA_DIR>/runtimes)');

  runtime
    .command('list')
    .description('the recipes, and which are built here with their image ID')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RuntimeOptions>();
      const store = storeOf(opts);
      const names = await listRuntimeRecipes(path.resolve(opts.recipes));
      const built = new Map((await store.list()).map((b) => [b.name, b]));
      const rows = [...new Set([...names, ...built.keys()])].sort().map((name) => ({
        name,
        recipe: names.includes(name),
        built: built.get(name) ?? null,
      }));
      outputOf(cmd).result(
        { runtimesDir: store.dir, runtimes: rows },
        formatTable(
          ['runtime', 'recipe', 'built', 'image', 'digest'],
          [
            ['host', '-', 'always', '-', '-'],
            ...rows.map((r) => [r.name, r.recipe ? 'yes' : 'no', r.built ? r.built.builtAt.slice(0, 10) : 'no', r.built?.image ?? '-', r.built?.digest ?? '-']),
          ],
        ),
      );
    });

  runtime
    .command('build <name>')
    .description('build the image of a recipe: a debootstrap base imported into podman, then its Dockerfile (no registry pull); needs root; ~1 min, ~1 GB')
    .option('--mirror <url>', "Debian archive (default: the host's apt source, else deb.debian.org)")
    .option('--force', 'build again even if the image of this recipe is built here')
    .option('--refresh-base', 'run debootstrap again instead of reusing the base image')
    .option('--verbose', 'show the output of debootstrap and podman build')
    .action(async (name: string, local: { mirror?: string; force?: boolean; refreshBase?: boolean; verbose?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RuntimeOptions>();
      const out = outputOf(cmd);
      const recipe = await recipeOf(opts, name);
      const started = Date.now();
      const { built, fresh } = await ensureBuilt(recipe, storeOf(opts), out, local);
      out.result(built, [
        fresh ? `built runtime ${name} in ${Math.round((Date.now() - started) / 1000)} s: ${built.image}` : `runtime ${name} is built from this recipe already (${built.image}); --force builds it again`,
        `digest ${built.digest}`,
        `check it: holdout runtime test ${name}; share it: holdout runtime push ${name} REGISTRY/REPO:TAG`,
      ]);
    });

  runtime
    .command('test <name>')
    .description("build the recipe's image if needed, then run its import test in it through the sandbox, with no network")
    .action(async (name: string, _local: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RuntimeOptions>();
      const out = outputOf(cmd);
      const recipe = await recipeOf(opts, name);
      const store = storeOf(opts);
      const { built } = await ensureBuilt(recipe, store, out, {});
      const executor = createExecutor({ kind: 'sandbox', runtimesDir: store.dir });
      await executor.check();
      const result = await testRuntime(recipe, built, executor, out.json ? undefined : (chunk) => process.stderr.write(chunk));
      const json = { name, digest: built.digest, image: built.image, ...result };
      if (!result.ok) {
        const why = result.missingPackages.length > 0 ? `packages not installed: ${result.missingPackages.join(', ')}` : `${recipe.test} ended with ${result.outcome} (exit ${result.exitCode})`;
        throw new CliError(`runtime ${name} failed its test: ${why}`, exitCodes.failure, 'runtime_test_failed', json);
      }
      out.result(json, [
        `runtime ${name} passed: ${recipe.packages.length} packages installed, ${recipe.test} ran in the image in the sandbox (${built.digest})`,
        'competitions that name it record this digest when created or updated; submissions keep the digest they ran with',
      ]);
    });

  runtime
    .command('export <name-or-image>')
    .description('write a built runtime (or any local image) to an OCI archive, for "podman load" or "docker load" elsewhere')
    .requiredOption('-o, --output <file>', 'the archive to write')
    .action(async (nameOrRef: string, local: { output: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RuntimeOptions>();
      const { ref, built } = await imageOf(storeOf(opts), nameOrRef);
      const podman = new Podman();
      const digest = await podmanStep(async () => {
        const id = await podman.imageId(ref);
        if (id === undefined) throw new PodmanError('image_missing', `no local image ${ref}; build or pull it first`);
        await podman.saveOciArchive(built?.image ?? ref, path.resolve(local.output));
        return id;
      });
      outputOf(cmd).result({ file: path.resolve(local.output), digest }, `wrote ${path.resolve(local.output)} (image ${digest})`);
    });

  runtime
    .command('push <name-or-image> <destination>')
    .description('push a built runtime to a registry (REGISTRY/REPO:TAG); prints the pinned reference for competition.yaml')
    .option(...tlsOption)
    .action(async (nameOrRef: string, destination: string, local: { tlsVerify?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RuntimeOptions>();
      const store = storeOf(opts);
      const { ref, built } = await imageOf(store, nameOrRef);
      const podman = new Podman();
      const { digest, pinned } = await podmanStep(async () => {
        const id = await podman.imageId(ref);
        if (id === undefined) throw new PodmanError('image_missing', `no local image ${ref}; build or pull it first`);
        const manifest = await podman.push(built?.image ?? ref, destination, tlsOf(local.tlsVerify));
        return { digest: id, pinned: pinnedReference(destination, manifest) };
      });
      if (built && !built.pushed.includes(pinned)) await store.save({ ...built, pushed: [...built.pushed, pinned] });
      outputOf(cmd).result({ image: pinned, digest }, [
        `pushed ${pinned}`,
        `image ID ${digest}`,
        `in competition.yaml: runtime: { image: ${pinned} }`,
      ]);
    });

  runtime
    .command('pull [image]')
    .description("pull a runtime image (registry/repo@sha256:…) and print its image ID; with --competition, the image of the phase open now (or --phase), checked against the digest the competition recorded")
    .option('-c, --competition <slug>', "the competition (on the server) whose runtime image to pull, instead of naming one")
    .option('--phase <name>', "with --competition: the runtime of this phase; default: the phase open now")
    .option(...tlsOption)
    .action(async (ref: string | undefined, local: { competition?: string; phase?: string; tlsVerify?: string }, cmd: Command) => {
      const wanted = await pullTarget(ref, local, cmd);
      const digest = await podmanStep(() => new Podman().pull(wanted.reference, tlsOf(local.tlsVerify)));
      if (wanted.digest !== null && wanted.digest !== digest) {
        throw new CliError(
          `pulled ${wanted.reference}, whose image ID is ${digest}, but ${wanted.of} runs ${wanted.digest}; a local test in it would not be the platform's (ask the host to pin the image by digest)`,
          exitCodes.failure,
          'digest_mismatch',
        );
      }
      outputOf(cmd).result({ image: wanted.reference, digest, ...(wanted.phase === undefined ? {} : { competition: local.competition, phase: wanted.phase }) }, [
        `pulled ${wanted.reference}${wanted.digest === null ? '' : ` for ${wanted.of}`}`,
        `image ID ${digest}${wanted.digest === null ? '' : ' (the one the platform runs)'}`,
      ]);
    });

  return runtime;
}
