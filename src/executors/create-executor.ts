import { RuntimeStore } from '../runtimes/runtime-store.js';
import type { Executor } from './executor.js';
import { LocalExecutor } from './local/local-executor.js';
import { SandboxExecutor } from './sandbox/sandbox-executor.js';
import { rootfsRuntime } from './sandbox/sandbox-runtime.js';

/**
 * Which executor, and its settings. `local` is the weaker rlimit runner of
 * `holdout test-submission` for machines without root; the platform never uses it.
 */
export type ExecutorConfig =
  | {
      kind: 'sandbox';
      root?: string;
      /** Folder of built runtimes (`holdout runtime build`); runs of other runtimes than "host" find them there. */
      runtimesDir?: string;
      /** Folder of the NVIDIA device nodes. @defaultValue "/dev" */
      gpuDevDir?: string;
    }
  | { kind: 'local'; root?: string };

/** The one place that maps configuration to an executor adapter. */
export function createExecutor(config: ExecutorConfig): Executor {
  switch (config.kind) {
    case 'sandbox': {
      const store = config.runtimesDir === undefined ? undefined : new RuntimeStore(config.runtimesDir);
      return new SandboxExecutor({
        ...(config.root ? { workspaceRoot: config.root } : {}),
        ...(config.gpuDevDir ? { gpus: { devDir: config.gpuDevDir } } : {}),
        ...(store
          ? {
              findRuntime: async (name: string) => {
                const built = await store.get(name);
                return built && rootfsRuntime(built.name, built.rootfs, built.digest);
              },
            }
          : {}),
      });
    }
    case 'local':
      return new LocalExecutor(config.root ? { workspaceRoot: config.root } : {});
  }
}
