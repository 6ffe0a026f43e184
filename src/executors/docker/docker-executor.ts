import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Executor, RunResult, RunSpec } from '../executor.js';
import { discoverGpus, type GpuDiscoveryOptions, type GpuHost } from '../gpu-host.js';
import { checkLimits } from '../host/check-limits.js';
import { trialRun } from '../host/trial-run.js';
import { LogSink } from '../host/log-sink.js';
import { measuredUsage } from '../host/measured-usage.js';
import { type OomWatch, watchOom } from '../host/oom-watch.js';
import { RunCgroup } from '../host/run-cgroup.js';
import { assignedGpus, CgroupParent, checkRunId } from '../host/run-names.js';
import { runName, sweepStaleRuns } from '../host/stale-runs.js';
import { UidPool } from '../host/uid-pool.js';
import { Workspace } from '../host/workspace.js';
import { type ContainerGpus, containerGpus } from './gpu-devices.js';
import { EngineClient } from './engine-client.js';
import { LogFifo } from './log-fifo.js';
import { runContainer } from './run-container.js';
import { resolveContainerRuntime } from './runtime-images.js';
import { buildSeccompProfile } from './seccomp-profile.js';
import { sweepStaleContainers } from './stale-containers.js';

/** How a `DockerExecutor` is set up. */
export interface DockerExecutorOptions {
  /** The engine's socket, `unix:///run/podman/podman.sock` or `unix:///var/run/docker.sock`. */
  dockerHost: string;
  /** Host folder of the runs' workspaces (a tmpfs each). @defaultValue `${os.tmpdir()}/holdout-docker` */
  workspaceRoot?: string;
  /**
   * Host folder of what every run shares: the seccomp profile file, the "host" runtime's /usr/local.
   * @defaultValue `${os.tmpdir()}/holdout-docker-files`
   */
  filesDir?: string;
  /**
   * Reserved host uids, one per concurrent run. The sandbox's range and lock folder by default,
   * so sandbox and docker workers of one host never share a uid.
   * @defaultValue [61000, 61999]
   */
  uidRange?: readonly [first: number, last: number];
  /** @defaultValue "/run/holdout/uids" */
  uidLockDir?: string;
  /**
   * cgroup path (relative to each hierarchy's root) under which each run gets a cgroup holding
   * its limits; the engine nests the container's own below it. Needs the engine's cgroupfs
   * driver (podman: cgroup_manager = "cgroupfs"; Docker: native.cgroupdriver=cgroupfs).
   * @defaultValue "holdout-docker"
   */
  cgroupParent?: string;
  /** Where this host's GPUs are found. */
  gpus?: GpuDiscoveryOptions;
}

/** Processes of the engine's that live in a run's cgroup (conmon, its exit command). */
const enginePids = 8;

/**
 * Runs each submission in a container through the Docker Engine API (podman's `podman system
 * service` or Docker), with the sandbox's contract: see `containerCreateBody` for what a run gets.
 * @remarks The engine must run on this host: the run's workspace, data and cgroup are host paths.
 */
export class DockerExecutor implements Executor {
  readonly name = 'docker';
  readonly #client: EngineClient;
  readonly #root: string;
  readonly #files: string;
  readonly #uids: UidPool;
  readonly #cgroupParent: CgroupParent;
  readonly #gpuDiscovery: GpuDiscoveryOptions;
  #gpuHost: Promise<GpuHost> | undefined;
  #seccomp: Promise<string> | undefined;

  constructor(options: DockerExecutorOptions) {
    this.#client = new EngineClient(options.dockerHost);
    this.#root = options.workspaceRoot ?? path.join(os.tmpdir(), 'holdout-docker');
    this.#files = options.filesDir ?? path.join(os.tmpdir(), 'holdout-docker-files');
    const [first, last] = options.uidRange ?? [61000, 61999];
    this.#uids = new UidPool(first, last, options.uidLockDir ?? '/run/holdout/uids');
    this.#cgroupParent = new CgroupParent(options.cgroupParent ?? 'holdout-docker');
    this.#gpuDiscovery = options.gpus ?? {};
  }

  /** The seccomp option for this engine: podman reads the profile from a file, Docker takes it inline. */
  #seccompOption(): Promise<string> {
    return (this.#seccomp ??= (async () => {
      const profile = JSON.stringify(buildSeccompProfile());
      const version = await this.#client.json<{ Components?: { Name?: string }[] }>('GET', '/version');
      if (!version?.Components?.some((c) => c.Name === 'Podman Engine')) return profile;
      await mkdir(this.#files, { recursive: true, mode: 0o755 });
      const file = path.join(this.#files, `seccomp-${createHash('sha256').update(profile).digest('hex').slice(0, 12)}.json`);
      await writeFile(file, profile, { mode: 0o644 });
      return file;
    })());
  }

  async #gpus(spec: RunSpec): Promise<ContainerGpus | undefined> {
    const assigned = assignedGpus(spec);
    if (assigned.length === 0) return undefined;
    return containerGpus(await (this.#gpuHost ??= discoverGpus(this.#gpuDiscovery)), assigned);
  }

  async check(options: { gpus?: readonly string[] } = {}): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('the docker executor needs root on the worker host (run workspaces are tmpfs mounts, limits are cgroups)');
    await this.#client.json('GET', '/version');
    const layout = this.#cgroupParent.layout();
    // What runs of a worker killed on this host left: containers first, then cgroups and workspaces.
    await sweepStaleContainers(this.#client);
    await sweepStaleRuns({ cgroups: layout, cgroupParent: this.#cgroupParent.path, workspaceRoot: this.#root });
    await trialRun(this, 'container');
    if (options.gpus?.length) await trialRun(this, 'container', options.gpus);
  }

  async run(spec: RunSpec): Promise<RunResult> {
    checkRunId(spec.runId);
    checkLimits(spec.limits);
    const runtime = await resolveContainerRuntime(this.#client, spec, this.#files);
    const gpu = await this.#gpus(spec);
    const cgroups = this.#cgroupParent.layout();
    const name = runName(spec.runId, randomBytes(4).toString('hex'));
    const uid = this.#uids.acquire();
    let log: LogSink | undefined;
    let workspace: Workspace | undefined;
    let cgroup: RunCgroup | undefined;
    let oom: OomWatch | undefined;
    try {
      log = await LogSink.open(spec.logPath, spec.limits.logBytes, spec.onLog);
      workspace = await Workspace.create({ root: this.#root, name, codeDir: spec.codeDir, outputBytes: spec.limits.outputBytes, uid });
      cgroup = RunCgroup.create(cgroups, this.#cgroupParent.path, name, { ...spec.limits, pids: spec.limits.pids + enginePids });
      oom = await watchOom(cgroup);
      const seen = await runContainer(this.#client, {
        name,
        spec,
        runtime,
        workspace,
        uid,
        cgroupParent: `/${this.#cgroupParent.path}/${name}`,
        seccomp: await this.#seccompOption(),
        logPipe: await LogFifo.create(workspace.dir),
        log,
        ...(gpu ? { gpu } : {}),
      });
      // The container is gone; anything left in the cgroup (an engine helper) goes too.
      await cgroup.killAndWait();
      const oomKills = await oom.stop();
      oom = undefined;
      const counted = cgroup.usage();
      await cgroup.remove();
      const logged = await log.close();
      const ws = workspace;
      let disposed: Promise<void> | null = null;
      return {
        ...seen.decide(oomKills),
        wallMs: seen.wallMs,
        usage: measuredUsage(seen.wallMs, counted, spec.limits.gpus),
        logBytes: logged.bytes,
        logTruncated: logged.truncated,
        outputDir: ws.output,
        dispose: () => (disposed ??= ws.dispose().then(() => this.#uids.release(uid))),
      };
    } catch (error) {
      // Best effort: the original error says what went wrong.
      await oom?.stop().catch(() => undefined);
      await cgroup?.killAndWait().then(() => cgroup?.remove()).catch(() => undefined);
      await log?.close().catch(() => undefined);
      await workspace?.dispose().catch(() => undefined);
      this.#uids.release(uid);
      throw error;
    }
  }
}
