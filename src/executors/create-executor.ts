import { DockerExecutor } from './docker/docker-executor.js';
import { PortableDockerExecutor } from './docker/portable-executor.js';
import type { Executor } from './executor.js';
import { KubernetesExecutor, type KubernetesExecutorOptions } from './kubernetes/kubernetes-executor.js';
import { LocalExecutor } from './local/local-executor.js';
import { SandboxExecutor } from './sandbox/sandbox-executor.js';
import { SlurmExecutor, type SlurmExecutorOptions } from './slurm/slurm-executor.js';
import { imageRuntimes } from './sandbox/image-runtimes.js';

/**
 * Which executor, and its settings. `local` is the weaker rlimit runner of
 * `holdout test-submission` for machines without root; the platform never uses it.
 */
export type ExecutorConfig =
  | {
      kind: 'sandbox';
      root?: string;
      /**
       * Folder of built runtimes (`holdout runtime build`) and of the sandbox's unpacked runtime
       * images (`images/<hex>/rootfs`); runs of other runtimes than "host" find them there.
       */
      runtimesDir?: string;
      /** Folder of the NVIDIA device nodes. @defaultValue "/dev" */
      gpuDevDir?: string;
    }
  | {
      kind: 'docker';
      /** The engine's socket, e.g. unix:///run/podman/podman.sock. */
      dockerHost: string;
      root?: string;
      gpuDevDir?: string;
    }
  | {
      /** A participant's machine: no root, the engine enforces every limit (`holdout test-submission`). */
      kind: 'docker-portable';
      dockerHost: string;
    }
  | ({
      /** A Job per run on a cluster (loads @kubernetes/client-node on first use only). */
      kind: 'kubernetes';
    } & KubernetesExecutorOptions)
  | ({
      /** A batch job per run on a Slurm cluster, with the sandbox inside it on the node. */
      kind: 'slurm';
    } & SlurmExecutorOptions)
  | { kind: 'local'; root?: string };

/** The one place that maps configuration to an executor adapter. */
export function createExecutor(config: ExecutorConfig): Executor {
  switch (config.kind) {
    case 'sandbox': {
      const runtimesDir = config.runtimesDir;
      return new SandboxExecutor({
        ...(config.root ? { workspaceRoot: config.root } : {}),
        ...(config.gpuDevDir ? { gpus: { devDir: config.gpuDevDir } } : {}),
        ...(runtimesDir === undefined ? {} : { findRuntime: imageRuntimes(runtimesDir) }),
      });
    }
    case 'docker':
      return new DockerExecutor({
        dockerHost: config.dockerHost,
        ...(config.root ? { workspaceRoot: config.root } : {}),
        ...(config.gpuDevDir ? { gpus: { devDir: config.gpuDevDir } } : {}),
      });
    case 'docker-portable':
      return new PortableDockerExecutor({ dockerHost: config.dockerHost });
    case 'kubernetes': {
      const { kind: _kind, ...options } = config;
      return new KubernetesExecutor(options);
    }
    case 'slurm': {
      const { kind: _kind, ...options } = config;
      return new SlurmExecutor(options);
    }
    case 'local':
      return new LocalExecutor(config.root ? { workspaceRoot: config.root } : {});
  }
}
