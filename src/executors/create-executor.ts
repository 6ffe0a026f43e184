import type { Executor } from './executor.js';
import { SandboxExecutor } from './sandbox/sandbox-executor.js';

export type ExecutorConfig = { kind: 'sandbox'; root?: string };

/** The one place that maps configuration to an executor adapter. */
export function createExecutor(config: ExecutorConfig): Executor {
  switch (config.kind) {
    case 'sandbox':
      return new SandboxExecutor(config.root ? { workspaceRoot: config.root } : {});
  }
}
