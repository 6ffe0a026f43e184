import { existsSync } from 'node:fs';
import { createExecutor } from '../executors/create-executor.js';
import type { Executor } from '../executors/executor.js';
import { LocalExecutor } from '../executors/local/local-executor.js';
import { missingHostRequirements } from '../executors/sandbox/host-check.js';
import type { Limits } from '../domain/limits.js';
import { RuntimeStore } from '../runtimes/runtime-store.js';

/**
 * Which executor a local test uses: `auto` takes the sandbox where it works, else a container
 * engine (Docker or podman) where one answers, else the local runner.
 */
export const localTestExecutorChoices = ['auto', 'sandbox', 'docker', 'local'] as const;
export type LocalTestExecutorChoice = (typeof localTestExecutorChoices)[number];

/** The chosen executor and what the participant should know about it. */
export interface ChosenExecutor {
  executor: Executor;
  /** Why the sandbox was not used, when it was not. */
  fallbackReason?: string;
  /** Limits enforced only approximately (the local runner), one sentence each; empty for the sandbox. */
  approximations: string[];
}

/**
 * The container engine a participant's machine has: HOLDOUT_DOCKER_HOST, else DOCKER_HOST, else
 * the first socket that exists of Docker's, rootless podman's and root podman's.
 */
export function localDockerHost(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env.HOLDOUT_DOCKER_HOST || env.DOCKER_HOST;
  if (named) return named;
  const candidates = ['/var/run/docker.sock', ...(env.XDG_RUNTIME_DIR ? [`${env.XDG_RUNTIME_DIR}/podman/podman.sock`] : []), '/run/podman/podman.sock'];
  const found = candidates.find((socket) => existsSync(socket));
  return found && `unix://${found}`;
}

async function dockerFor(): Promise<Executor> {
  const dockerHost = localDockerHost();
  if (!dockerHost) {
    throw new ExecutorUnavailableError(
      'no container engine found (no DOCKER_HOST, /var/run/docker.sock or podman socket); start Docker, or podman with "systemctl --user start podman.socket"',
    );
  }
  const executor = createExecutor({ kind: 'docker-portable', dockerHost });
  try {
    await executor.check();
  } catch (error) {
    throw new ExecutorUnavailableError(`the container engine at ${dockerHost} does not answer: ${(error as Error).message}`);
  }
  return executor;
}

/** The sandbox could not be used; the message says why and what to do. */
export class ExecutorUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorUnavailableError';
  }
}

/** A runtime a local run needs: a name, and the image reference the sandbox pulls it from, if any. */
export interface LocalRuntime {
  runtime: string;
  runtimeImage?: string;
}

async function sandboxFor(runtimes: readonly LocalRuntime[], runtimesDir: string): Promise<Executor> {
  const missing = missingHostRequirements();
  if (missing.length > 0) throw new ExecutorUnavailableError(`the sandbox cannot run here: ${missing.join('; ')}`);
  const store = new RuntimeStore(runtimesDir);
  for (const { runtime, runtimeImage } of runtimes) {
    // A runtime with an image reference is pulled by the sandbox's image cache; a recipe must be built here.
    if (runtime === 'host' || runtimeImage !== undefined || (await store.get(runtime))) continue;
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

function runtimesOf(c: LocalRuntime & { scoringRuntime?: { name: string; image?: string } }): LocalRuntime[] {
  const code: LocalRuntime = { runtime: c.runtime, ...(c.runtimeImage === undefined ? {} : { runtimeImage: c.runtimeImage }) };
  const scoring = c.scoringRuntime;
  return scoring === undefined ? [code] : [code, { runtime: scoring.name, ...(scoring.image === undefined ? {} : { runtimeImage: scoring.image }) }];
}

/** What a container on a participant's machine enforces differently from the platform. */
const portableDockerApproximations = [
  'writes to the code and output folders are not size-limited',
  "the engine's default seccomp profile applies instead of the platform's",
] as const;

/**
 * Picks the executor of `holdout test-submission`: the platform's sandbox (same isolation and
 * cgroup limits) when this machine can run it (root, bubblewrap, cgroups, the runtime built or
 * pinned to an image; also the scoring program's, `scoringRuntime`, when a phase runs in its own),
 * else, for `auto`, a container of the competition's image where Docker or podman answers, else
 * the rlimit-based local runner, with the list of what each only approximates.
 * @throws ExecutorUnavailableError when `sandbox` was asked for and cannot run.
 */
export async function chooseLocalTestExecutor(
  choice: LocalTestExecutorChoice,
  competition: LocalRuntime & { limits: Limits; scoringRuntime?: { name: string; image?: string } },
  runtimesDir: string,
): Promise<ChosenExecutor> {
  if (choice === 'docker') return { executor: await dockerFor(), approximations: [...portableDockerApproximations] };
  if (choice !== 'local') {
    try {
      return { executor: await sandboxFor(runtimesOf(competition), runtimesDir), approximations: [] };
    } catch (error) {
      if (choice === 'sandbox' || !(error instanceof ExecutorUnavailableError)) throw error;
      const reasons = [error.message];
      try {
        return { executor: await dockerFor(), fallbackReason: error.message, approximations: [...portableDockerApproximations] };
      } catch (dockerError) {
        if (!(dockerError instanceof ExecutorUnavailableError)) throw dockerError;
        reasons.push(dockerError.message);
      }
      const local = new LocalExecutor();
      await local.check();
      return { executor: local, fallbackReason: reasons.join('; '), approximations: local.approximations(competition.limits, competition.runtime) };
    }
  }
  const local = new LocalExecutor();
  await local.check();
  return { executor: local, approximations: local.approximations(competition.limits, competition.runtime) };
}
