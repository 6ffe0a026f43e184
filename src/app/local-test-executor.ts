import { createExecutor } from '../executors/create-executor.js';
import type { Executor } from '../executors/executor.js';
import { LocalExecutor } from '../executors/local/local-executor.js';
import { missingHostRequirements } from '../executors/sandbox/host-check.js';
import type { Limits } from '../domain/limits.js';
import { RuntimeStore } from '../runtimes/runtime-store.js';

/** Which executor a local test uses: `auto` takes the sandbox where it works, else the local runner. */
export const localTestExecutorChoices = ['auto', 'sandbox', 'local'] as const;
export type LocalTestExecutorChoice = (typeof localTestExecutorChoices)[number];

/** The chosen executor and what the participant should know about it. */
export interface ChosenExecutor {
  executor: Executor;
  /** Why the sandbox was not used, when it was not. */
  fallbackReason?: string;
  /** Limits enforced only approximately (the local runner), one sentence each; empty for the sandbox. */
  approximations: string[];
}

/** The sandbox could not be used; the message says why and what to do. */
export class ExecutorUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorUnavailableError';
  }
}

async function sandboxFor(runtime: string, runtimesDir: string): Promise<Executor> {
  const missing = missingHostRequirements();
  if (missing.length > 0) throw new ExecutorUnavailableError(`the sandbox cannot run here: ${missing.join('; ')}`);
  if (runtime !== 'host' && !(await new RuntimeStore(runtimesDir).get(runtime))) {
    throw new ExecutorUnavailableError(`runtime "${runtime}" is not built here (${runtimesDir}); run "holdout runtime build ${runtime}" as root first`);
  }
  const executor = createExecutor({ kind: 'sandbox', runtimesDir });
  try {
    await executor.check();
  } catch (error) {
    throw new ExecutorUnavailableError((error as Error).message);
  }
  return executor;
}

/**
 * Picks the executor of `holdout test-submission`: the platform's sandbox (same isolation and
 * cgroup limits) when this machine can run it (root, bubblewrap, cgroups, the runtime built),
 * else, for `auto`, the rlimit-based local runner, with the list of what it only approximates.
 * @throws ExecutorUnavailableError when `sandbox` was asked for and cannot run.
 */
export async function chooseLocalTestExecutor(
  choice: LocalTestExecutorChoice,
  competition: { runtime: string; limits: Limits },
  runtimesDir: string,
): Promise<ChosenExecutor> {
  if (choice !== 'local') {
    try {
      return { executor: await sandboxFor(competition.runtime, runtimesDir), approximations: [] };
    } catch (error) {
      if (choice === 'sandbox' || !(error instanceof ExecutorUnavailableError)) throw error;
      const local = new LocalExecutor();
      await local.check();
      return { executor: local, fallbackReason: error.message, approximations: local.approximations(competition.limits, competition.runtime) };
    }
  }
  const local = new LocalExecutor();
  await local.check();
  return { executor: local, approximations: local.approximations(competition.limits, competition.runtime) };
}
