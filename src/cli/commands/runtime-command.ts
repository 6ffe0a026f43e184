import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../../app/config.js';
import { createExecutor } from '../../executors/create-executor.js';
import { buildRuntime } from '../../runtimes/build-runtime.js';
import { listRuntimeRecipes, loadRuntimeRecipe, RuntimeRecipeError } from '../../runtimes/runtime-recipe.js';
import { RuntimeStore } from '../../runtimes/runtime-store.js';
import { testRuntime } from '../../runtimes/test-runtime.js';
import { formatTable, outputOf } from '../cli-output.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { shippedRecipes } from '../package-root.js';

interface RuntimeOptions {
  recipes: string;
  runtimesDir?: string;
}

function storeOf(opts: RuntimeOptions): RuntimeStore {
  return new RuntimeStore(path.resolve(opts.runtimesDir ?? loadConfig(process.env, { workers: 0 }).runtimesDir));
}

async function recipeOf(opts: RuntimeOptions, name: string) {
  try {
    return await loadRuntimeRecipe(path.resolve(opts.recipes), name);
  } catch (error) {
    if (error instanceof RuntimeRecipeError) {
      throw new CliError(error.message, error.message.startsWith('no runtime recipe') ? exitCodes.notFound : exitCodes.invalidInput);
    }
    throw error;
  }
}

/** `holdout runtime list|build|test` (host): root file systems that runs execute in. */
export function runtimeCommand(): Command {
  const runtime = new Command('runtime')
    .description('build and check runtimes: root file systems made from a recipe in runtimes/<name>/ (host)')
    .option('--recipes <dir>', 'folder of runtime recipes', shippedRecipes)
    .option('--runtimes-dir <dir>', 'folder of built runtimes (default: HOLDOUT_RUNTIMES_DIR, else <HOLDOUT_DATA_DIR>/runtimes)');

  runtime
    .command('list')
    .description('the recipes, and which are built here with their content digest')
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
          ['runtime', 'recipe', 'built', 'digest'],
          [['host', '-', 'always', '-'], ...rows.map((r) => [r.name, r.recipe ? 'yes' : 'no', r.built ? r.built.builtAt.slice(0, 10) : 'no', r.built?.digest ?? '-'])],
        ),
      );
    });

  runtime
    .command('build <name>')
    .description('build a runtime with debootstrap and apt (Debian packages only); needs root; ~1 min, ~1 GB')
    .option('--mirror <url>', "Debian archive (default: the host's apt source, else deb.debian.org)")
    .option('--force', 'build again even if the built runtime comes from the same recipe')
    .option('--verbose', 'show the output of debootstrap and apt')
    .action(async (name: string, local: { mirror?: string; force?: boolean; verbose?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RuntimeOptions>();
      const out = outputOf(cmd);
      const recipe = await recipeOf(opts, name);
      const store = storeOf(opts);
      const existing = await store.get(name);
      if (existing && existing.recipeDigest === recipe.recipeDigest && !local.force) {
        out.result(existing, `runtime ${name} is built from this recipe already (${existing.digest}); --force builds it again`);
        return;
      }
      const started = Date.now();
      const built = await buildRuntime(recipe, store, {
        ...(local.mirror ? { mirror: local.mirror } : {}),
        onStep: (step) => out.note(`${name}: ${step}`),
        ...(local.verbose ? { onOutput: (chunk: Buffer) => process.stderr.write(chunk) } : {}),
      });
      out.result(built, [
        `built runtime ${name} in ${Math.round((Date.now() - started) / 1000)} s: ${built.rootfs}`,
        `digest ${built.digest}`,
        `check it: holdout runtime test ${name}; competitions that name it record this digest when created or updated`,
      ]);
    });

  runtime
    .command('test <name>')
    .description('check a built runtime: its packages are installed, and its test program imports them inside the sandbox')
    .action(async (name: string, _local: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RuntimeOptions>();
      const out = outputOf(cmd);
      const recipe = await recipeOf(opts, name);
      const store = storeOf(opts);
      const built = await store.get(name);
      if (!built) throw new CliError(`runtime ${name} is not built in ${store.dir}; run "holdout runtime build ${name}"`, exitCodes.notFound);
      const executor = createExecutor({ kind: 'sandbox', runtimesDir: store.dir });
      await executor.check();
      const result = await testRuntime(recipe, built, executor, out.json ? undefined : (chunk) => process.stderr.write(chunk));
      const json = { name, digest: built.digest, ...result };
      if (!result.ok) {
        const why = result.missingPackages.length > 0 ? `packages not installed: ${result.missingPackages.join(', ')}` : `${recipe.test} ended with ${result.outcome} (exit ${result.exitCode})`;
        throw new CliError(`runtime ${name} failed its test: ${why}`, exitCodes.failure, 'runtime_test_failed', json);
      }
      out.result(json, `runtime ${name} passed: ${recipe.packages.length} packages installed, ${recipe.test} ran in the sandbox (${built.digest})`);
    });

  return runtime;
}
