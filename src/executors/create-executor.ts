import { ImageCache } from '../runtimes/image-cache.js';
import { RuntimeStore } from '../runtimes/runtime-store.js';
import { DockerExecutor } from './docker/docker-executor.js';
import { PortableDockerExecutor } from './docker/portable-executor.js';
import type { Executor } from './executor.js';
import { KubernetesExecutor, type KubernetesExecutorOptions } from './kubernetes/kubernetes-executor.js';
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
  | { kind: 'local'; root?: string };

/**
 * The sandbox's runtimes from images: the recorded digest (else the latest build of the recipe
 * of that name here), unpacked once per digest into the image cache, pulled from the recorded
 * image reference when podman's storage lacks it. The executor compares the digest.
 */
function imageRuntimes(runtimesDir: string) {
  const store = new RuntimeStore(runtimesDir);
  const cache = new ImageCache(runtimesDir);
  return async (spec: { runtime: string; runtimeDigest?: string; runtimeImage?: string }) => {
    const digest = spec.runtimeDigest ?? (await store.get(spec.runtime))?.digest;
    if (digest === undefined) return undefined;
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new Error(`the competition recorded ${digest} for runtime "${spec.runtime}", which is not an image ID; update the competition to record its runtime image`);
    }
    return rootfsRuntime(spec.runtime, await cache.rootfs(digest, spec.runtimeImage), digest);
  };
}

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
    case 'local':
      return new LocalExecutor(config.root ? { workspaceRoot: config.root } : {});
  }
}
