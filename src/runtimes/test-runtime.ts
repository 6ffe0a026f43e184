import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultLayout } from '../domain/limits.js';
import type { Executor } from '../executors/executor.js';
import type { RuntimeRecipe } from './runtime-recipe.js';
import type { BuiltRuntime } from './runtime-store.js';

/** What `testRuntime` found. */
export interface RuntimeTestResult {
  ok: boolean;
  /** Packages of the recipe that are not installed in the built runtime. */
  missingPackages: string[];
  /** How the test program ended inside the sandbox. */
  outcome: string;
  exitCode: number | null;
  /** The test program's output. */
  log: string;
}

/**
 * Checks a built runtime image: every package of the recipe was installed by the build, and the
 * recipe's test program (which imports every listed package) exits 0 when run through `executor`
 * in that image (no network, as a submission), with the layout and the kind of limits a
 * submission gets.
 */
export async function testRuntime(
  recipe: RuntimeRecipe,
  built: BuiltRuntime,
  executor: Executor,
  onLog?: (chunk: Buffer) => void,
): Promise<RuntimeTestResult> {
  // The build recorded the version of each package it found installed; a package added to the
  // recipe since has none.
  const missingPackages = recipe.packages.filter((p) => !Object.hasOwn(built.packages, p));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'holdout-runtime-test-'));
  try {
    const code = path.join(dir, 'code');
    const data = path.join(dir, 'data');
    await Promise.all([mkdir(code, { mode: 0o755 }), mkdir(data, { mode: 0o755 })]);
    await copyFile(path.join(recipe.dir, recipe.test), path.join(code, recipe.test));
    const logPath = path.join(dir, 'log.txt');
    const result = await executor.run({
      runId: `runtime-test-${recipe.name}-${randomBytes(3).toString('hex')}`,
      runtime: recipe.name,
      runtimeDigest: built.digest,
      runtimeImage: built.image,
      command: ['python', recipe.test],
      codeDir: code,
      dataDir: data,
      layout: defaultLayout,
      limits: { wallTimeMs: 120_000, memoryBytes: 1 << 30, cpus: 1, pids: 64, outputBytes: 1 << 20, logBytes: 1 << 20, gpus: 0 },
      logPath,
      ...(onLog ? { onLog } : {}),
    });
    await result.dispose();
    const log = await readFile(logPath, 'utf8');
    const passed = result.outcome === 'exited' && result.exitCode === 0;
    return { ok: passed && missingPackages.length === 0, missingPackages, outcome: result.outcome, exitCode: result.exitCode, log };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
