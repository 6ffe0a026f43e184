import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { checkLimits } from '../host/check-limits.js';
import { trialRun } from '../host/trial-run.js';
import type { Executor, RunResult, RunSpec } from '../executor.js';
import { discoverGpus, type GpuDiscoveryOptions, type GpuHost } from '../gpu-host.js';
import type { CgroupLayout } from '../host/cgroups.js';
import { buildGpuArgs, type GpuRunArgs } from './gpu-args.js';
import { missingHostRequirements } from './host-check.js';
import { LogSink } from '../host/log-sink.js';
import { RunCgroup } from '../host/run-cgroup.js';
import { assignedGpus, CgroupParent, checkRunId } from '../host/run-names.js';
import { decideOutcome } from '../host/run-outcome.js';
import { builtinRuntimes, resolveSandboxRuntime, type SandboxRuntime } from './sandbox-runtime.js';
import { buildSeccompFilter, seccompArchitectures } from './seccomp-filter.js';
import { runName, sweepStaleRuns } from '../host/stale-runs.js';
import { superviseSandbox } from './supervise-sandbox.js';
import { UidPool } from '../host/uid-pool.js';
import { Workspace } from '../host/workspace.js';

/** How a `SandboxExecutor` is set up. Every field is optional. */
export interface SandboxExecutorOptions {
  /**
   * Host folder under which each run gets its workspace (a tmpfs mounted per run).
   * @defaultValue `${os.tmpdir()}/holdout-sandbox`
   */
  workspaceRoot?: string;
  /**
   * Reserved host uids, one per concurrent run; no other user or daemon may use them.
   * Workers sharing a host need disjoint ranges.
   * @defaultValue [61000, 61999]
   */
  uidRange?: readonly [first: number, last: number];
  /**
   * Host folder of the per-uid lock files that keep workers of one host from sharing a uid.
   * @defaultValue "/run/holdout/uids"
   */
  uidLockDir?: string;
  /**
   * Path of the cgroup, relative to each hierarchy's root, under which run cgroups are created
   * (e.g. a delegated "system.slice/holdout-runs.slice" on a systemd host).
   * @defaultValue "holdout"
   */
  cgroupParent?: string;
  /** Runtimes besides the built-in "host" one, by name. */
  runtimes?: Readonly<Record<string, SandboxRuntime>>;
  /**
   * Looks up a runtime that is in neither `runtimes` nor the built-in ones, at each run (so a
   * runtime built or pulled while the worker runs is found), e.g. a runtime image unpacked by
   * digest (see create-executor.ts). It may throw (an image that cannot be pulled): the run then
   * fails as the platform's fault.
   */
  findRuntime?: (spec: Pick<RunSpec, 'runtime' | 'runtimeDigest' | 'runtimeImage'>) => Promise<SandboxRuntime | undefined>;
  /**
   * Load the seccomp filter of `buildSeccompFilter` into every run (x86_64 and aarch64 only).
   * @defaultValue true on x64 and arm64
   */
  seccomp?: boolean;
  /**
   * Where this host's GPUs are found; discovered once, at the first run that needs one.
   * @defaultValue the NVIDIA devices in /dev and /proc/driver/nvidia (see `discoverGpus`)
   */
  gpus?: GpuDiscoveryOptions;
}


/**
 * The default executor: bubblewrap namespaces (no network, own pids, only the bound folders
 * visible), a real unprivileged uid per run, cgroup limits (memory without swap, pids, CPU quota),
 * and a size-limited tmpfs workspace.
 * @remarks Needs root on Linux, bubblewrap, util-linux's setpriv and a cgroup v1 or v2 hierarchy
 * with the memory, pids and cpu controllers; `check()` says what is missing.
 */
export class SandboxExecutor implements Executor {
  readonly name = 'sandbox';
  readonly #workspaceRoot: string;
  readonly #uids: UidPool;
  readonly #cgroupParent: CgroupParent;
  readonly #runtimes: Readonly<Record<string, SandboxRuntime>>;
  readonly #findRuntime: SandboxExecutorOptions['findRuntime'];
  readonly #seccomp: Buffer | undefined;
  readonly #gpuDiscovery: GpuDiscoveryOptions;
  #gpuHost: Promise<GpuHost> | undefined;

  constructor(options: SandboxExecutorOptions = {}) {
    this.#workspaceRoot = options.workspaceRoot ?? path.join(os.tmpdir(), 'holdout-sandbox');
    const [first, last] = options.uidRange ?? [61000, 61999];
    this.#uids = new UidPool(first, last, options.uidLockDir ?? '/run/holdout/uids');
    this.#cgroupParent = new CgroupParent(options.cgroupParent ?? 'holdout');
    this.#runtimes = { ...builtinRuntimes, ...options.runtimes };
    this.#findRuntime = options.findRuntime;
    const archSupported = seccompArchitectures.includes(process.arch);
    if (options.seccomp === true && !archSupported) {
      throw new Error(`the sandbox seccomp filter does not cover ${process.arch}; set seccomp: false`);
    }
    this.#seccomp = (options.seccomp ?? archSupported) ? buildSeccompFilter() : undefined;
    this.#gpuDiscovery = options.gpus ?? {};
  }

  /** The host's GPUs and driver files, looked up once. */
  #hostGpus(): Promise<GpuHost> {
    return (this.#gpuHost ??= discoverGpus(this.#gpuDiscovery));
  }

  /** Bubblewrap arguments for the run's assigned GPUs; undefined for a run without any. */
  async #gpuArgs(spec: RunSpec): Promise<GpuRunArgs | undefined> {
    const assigned = assignedGpus(spec);
    return assigned.length === 0 ? undefined : buildGpuArgs(await this.#hostGpus(), assigned);
  }

  async check(options: { gpus?: readonly string[] } = {}): Promise<void> {
    const missing = missingHostRequirements();
    if (missing.length > 0) throw new Error(`the sandbox executor cannot run here; missing: ${missing.join('; ')}`);
    await this.sweepStaleRuns();
    await trialRun(this, 'sandbox');
    // The GPU chain too (device nodes, driver files), so a worker that offers GPUs it cannot hand
    // to a run stops now instead of failing every GPU submission.
    if (options.gpus?.length) await trialRun(this, 'sandbox', options.gpus);
  }

  /**
   * Removes what runs of a worker killed on this host left (mounted workspaces, cgroups); runs of
   * live processes are left alone. `check()` does it first; so does each Slurm job on its node.
   * @returns the names swept
   */
  sweepStaleRuns(): Promise<string[]> {
    return sweepStaleRuns({ cgroups: this.#cgroupParent.layout(), cgroupParent: this.#cgroupParent.path, workspaceRoot: this.#workspaceRoot });
  }

  async run(spec: RunSpec): Promise<RunResult> {
    const found = Object.hasOwn(this.#runtimes, spec.runtime) ? undefined : await this.#findRuntime?.(spec);
    const runtime = found ?? resolveSandboxRuntime(spec.runtime, this.#runtimes);
    if (spec.runtimeDigest !== undefined && runtime.digest !== spec.runtimeDigest) {
      throw new Error(
        `runtime "${runtime.name}" here has digest ${runtime.digest ?? '(none)'}, but the competition recorded ${spec.runtimeDigest}; ` +
          'copy the recorded build to this host, or update the competition after rebuilding',
      );
    }
    checkRunId(spec.runId);
    checkLimits(spec.limits);
    const gpu = await this.#gpuArgs(spec);
    const cgroups = this.#cgroupParent.layout();
    // The owner's pid lets a later worker sweep what this one leaves if it is killed.
    const name = runName(spec.runId, randomBytes(4).toString('hex'));
    const uid = this.#uids.acquire();
    const parts: Partial<RunParts> = {};
    try {
      const { log, workspace, cgroup } = await this.#prepare(spec, cgroups, name, uid, parts);
      const seen = await superviseSandbox({ spec, runtime, uid, workspace, cgroup, log, seccomp: this.#seccomp, ...(gpu ? { gpu } : {}) });
      // Whatever the entry point left behind (double-forked, setsid, SIGTERM-proof) dies here.
      await cgroup.killAndWait();
      const oomKills = cgroup.oomKills();
      await cgroup.remove();
      const logged = await log.close();

      const stopped = seen.cancelled || seen.timedOut;
      if (!seen.started && !stopped) {
        throw new Error(`the sandbox did not start (launcher ${seen.exitStatus ?? seen.exitSignal}): ${seen.setupErrors}`);
      }
      if (seen.started && seen.status === null && !stopped && oomKills === 0) {
        throw new Error(`bubblewrap died (${seen.exitSignal ?? 'unknown'}) without reporting the run's exit status`);
      }
      let disposed: Promise<void> | null = null;
      return {
        ...decideOutcome({ cancelled: seen.cancelled, timedOut: seen.timedOut, oomKills, status: seen.status }),
        wallMs: seen.wallMs,
        logBytes: logged.bytes,
        logTruncated: logged.truncated,
        outputDir: workspace.output,
        // The uid goes back only once no file of the run is left.
        dispose: () => (disposed ??= workspace.dispose().then(() => this.#uids.release(uid))),
      };
    } catch (error) {
      // Best effort: the original error says what went wrong.
      await parts.cgroup?.killAndWait().then(() => parts.cgroup?.remove()).catch(() => undefined);
      await parts.log?.close().catch(() => undefined);
      await parts.workspace?.dispose().catch(() => undefined);
      this.#uids.release(uid);
      throw error;
    }
  }

  /** Opens the log, mounts the workspace and creates the cgroup; records each part as it exists. */
  async #prepare(spec: RunSpec, cgroups: CgroupLayout, name: string, uid: number, parts: Partial<RunParts>): Promise<RunParts> {
    // The mount in Workspace.create is a child process: create the rest while it runs.
    const pending = Promise.allSettled([
      LogSink.open(spec.logPath, spec.limits.logBytes, spec.onLog),
      Workspace.create({ root: this.#workspaceRoot, name, codeDir: spec.codeDir, outputBytes: spec.limits.outputBytes, uid }),
    ]);
    let cgroupError: unknown = null;
    try {
      // The bwrap monitor and the sandbox's init are not the run's: they get pids of their own.
      parts.cgroup = RunCgroup.create(cgroups, this.#cgroupParent.path, name, { ...spec.limits, pids: spec.limits.pids + 2 });
    } catch (error) {
      cgroupError = error;
    }
    const [opened, created] = await pending;
    if (opened.status === 'fulfilled') parts.log = opened.value;
    if (created.status === 'fulfilled') parts.workspace = created.value;
    if (opened.status === 'rejected') throw opened.reason;
    if (created.status === 'rejected') throw created.reason;
    if (parts.cgroup === undefined) throw cgroupError;
    return { log: opened.value, workspace: created.value, cgroup: parts.cgroup };
  }
}

/** The resources of one run, released by `dispose()` or on failure. */
interface RunParts {
  log: LogSink;
  workspace: Workspace;
  cgroup: RunCgroup;
}
