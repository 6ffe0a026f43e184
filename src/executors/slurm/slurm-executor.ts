import { randomBytes } from 'node:crypto';
import { access, chmod, constants, cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Executor, RunResult, RunSpec } from '../executor.js';
import { checkLimits } from '../host/check-limits.js';
import { LogSink } from '../host/log-sink.js';
import { checkRunId } from '../host/run-names.js';
import { isStaleRunName, runName } from '../host/stale-runs.js';
import { trialRun } from '../host/trial-run.js';
import { batchScript, jobFolder, type JobFolder, type NodeJob, type NodeSandboxSettings, sbatchArgs } from './job-script.js';
import { type JobVerdict, type NodeVerdict } from './job-verdict.js';
import { LogTail } from './log-tail.js';
import { SlurmClient } from './slurm-client.js';
import { watchJob } from './watch-job.js';

/** How a `SlurmExecutor` is set up. */
export interface SlurmExecutorOptions {
  /**
   * A folder of the file system the worker and every compute node share (NFS, Lustre…), at the
   * same path everywhere. Each run gets a job folder there; root on the nodes must be able to
   * write it (no root squash).
   */
  sharedDir: string;
  /** Partition of the jobs. @defaultValue the cluster's default partition */
  partition?: string;
  /** More sbatch arguments (account, QOS, constraints), e.g. ["--account=ml", "--qos=short"]. */
  extraArgs?: readonly string[];
  /**
   * argv that starts the node entry on a compute node (Holdout must be installed there at a path
   * it can see). @defaultValue this worker's Node and its own node-entry file
   */
  nodeCommand?: readonly string[];
  /** The sandbox's settings on the nodes. */
  sandbox?: NodeSandboxSettings;
  /**
   * GPUs (`--gres=gpu`) this worker's runs may ask the cluster for at once: its GPU offer. The
   * worker's own host GPUs are never offered, since runs land on the nodes. @defaultValue 0
   */
  gpus?: number;
  /** Memory asked of Slurm beyond the run's, for the node entry. @defaultValue 256 MiB */
  memoryOverheadBytes?: number;
  /**
   * CPUs asked beyond the run's, for the node entry: Slurm's cpuset holds both, so without them a
   * run that floods its log pays for the pumping out of its own time. @defaultValue 0
   */
  extraCpus?: number;
  /** Seconds Slurm's time limit adds to the run's wall time (a backstop only). @defaultValue 120 */
  graceSeconds?: number;
  /** How long the controller may be unreachable during a run (a restart) before the run fails. @defaultValue 120 000 */
  controllerGraceMs?: number;
  /** Environment of the Slurm commands (e.g. with SLURM_CONF). @defaultValue the worker's */
  env?: NodeJS.ProcessEnv;
  /** Folder of sbatch, scontrol and scancel. @defaultValue found on PATH */
  binDir?: string;
}

/** This worker's Node with the node entry beside this file (through tsx when running from source). */
function defaultNodeCommand(): string[] {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return [process.execPath, '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./node-entry.ts', here))];
  return [process.execPath, fileURLToPath(new URL('./node-entry.js', here))];
}

function isInside(dir: string, root: string): boolean {
  const relative = path.relative(root, dir);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * Runs each submission as a Slurm batch job (sbatch --parsable) whose program is Holdout's own
 * sandbox on the compute node: Slurm allocates (CPUs, memory, GPUs, a node), the sandbox isolates
 * (Slurm leaves the network, the file system and the uid as they are). Code, data, the log, the
 * outputs and the verdict pass through a job folder on the shared file system. The worker's queue
 * stays the scheduler: jobs are never requeued by Slurm.
 */
export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  /** Slots of the cluster's GPUs, one per GPU a run may hold; the node binds what Slurm allocated. */
  readonly clusterGpus: readonly string[];
  readonly #client: SlurmClient;
  readonly #nodeCommand: readonly string[];

  constructor(private readonly options: SlurmExecutorOptions) {
    this.#client = new SlurmClient({ ...(options.binDir ? { binDir: options.binDir } : {}), ...(options.env ? { env: options.env } : {}) });
    this.#nodeCommand = options.nodeCommand ?? defaultNodeCommand();
    this.clusterGpus = Array.from({ length: options.gpus ?? 0 }, (_, i) => `gres/gpu#${i}`);
  }

  async check(options: { gpus?: readonly string[] } = {}): Promise<void> {
    await mkdir(this.options.sharedDir, { recursive: true });
    await access(this.options.sharedDir, constants.W_OK).catch(() => {
      throw new Error(`the slurm executor cannot write its shared folder ${this.options.sharedDir}`);
    });
    const partition = this.options.partition;
    const known = await this.#client.hasPartition(partition).catch((error: unknown) => {
      throw new Error(`the slurm executor cannot reach the Slurm controller (is slurmctld up, SLURM_CONF right?): ${(error as Error).message}`);
    });
    if (!known) throw new Error(partition ? `Slurm has no partition "${partition}" (see sinfo); set slurmPartition` : 'Slurm has no partition (see sinfo)');
    await this.sweepStaleJobs();
    // The whole chain once: sbatch, a node, the node entry, its sandbox, the shared folder.
    await trialRun(this, 'slurm', options.gpus ?? []);
  }

  /**
   * Ends the jobs of workers of this host that died without disposing their runs (killed with
   * SIGKILL; their jobs would run on to their wall time) and removes their job folders. Jobs of
   * live workers, of other hosts and names this executor did not make are left alone.
   * @returns the job names swept
   */
  async sweepStaleJobs(): Promise<string[]> {
    const stale = (await readdir(this.options.sharedDir).catch(() => [])).filter((name) => isStaleRunName(name));
    for (const name of stale) {
      await this.#client.cancelNamed(name);
      await rm(path.join(this.options.sharedDir, name), { recursive: true, force: true });
    }
    return stale;
  }

  async run(spec: RunSpec): Promise<RunResult> {
    checkRunId(spec.runId);
    checkLimits(spec.limits);
    // The owner's pid in the name lets a later worker on this host end what this one leaves.
    const name = runName(spec.runId, randomBytes(4).toString('hex'));
    const folder = jobFolder(path.join(this.options.sharedDir, name));
    await mkdir(folder.output, { recursive: true, mode: 0o700 });
    const sink = await LogSink.open(spec.logPath, spec.limits.logBytes, spec.onLog);
    const tail = new LogTail(folder.log, sink);
    let jobId: string | undefined;
    try {
      let verdict: JobVerdict | NodeVerdict = { outcome: 'cancelled', exitCode: null, signal: null };
      if (!spec.signal?.aborted) {
        await this.#writeJob(spec, folder);
        jobId = await this.#client.submit(this.#sbatchArgs(spec, name, folder)).catch((error: unknown) => {
          throw new Error(`Slurm refused the run's job: ${(error as Error).message}`);
        });
        verdict = await watchJob({ client: this.#client, jobId, folder, tail, controllerGraceMs: this.options.controllerGraceMs ?? 120_000, ...(spec.signal ? { signal: spec.signal } : {}) });
      }
      await tail.poll();
      await tail.close();
      const logged = await sink.close();
      if ('failure' in verdict) throw new Error(verdict.failure);
      if ('ok' in verdict && !verdict.ok) throw new Error(`Holdout's node entry of Slurm job ${jobId} failed: ${verdict.error}`);
      const ended = verdict;
      let disposed: Promise<void> | null = null;
      return {
        outcome: ended.outcome,
        exitCode: ended.exitCode,
        signal: ended.signal,
        wallMs: 'wallMs' in ended ? ended.wallMs : 0,
        // The sandbox on the node measured it in the run's cgroup, as on a worker's own host.
        ...('usage' in ended && ended.usage ? { usage: ended.usage } : {}),
        logBytes: logged.bytes,
        logTruncated: logged.truncated,
        outputDir: folder.output,
        dispose: () => (disposed ??= this.#dispose(jobId, folder)),
      };
    } catch (error) {
      await tail.close().catch(() => undefined);
      await sink.close().catch(() => undefined);
      await this.#dispose(jobId, folder).catch(() => undefined);
      throw error;
    }
  }

  /** The job folder's inputs: code and data (unless already on the shared file system), job.json, job.sh. */
  async #writeJob(spec: RunSpec, folder: JobFolder): Promise<void> {
    const shared = async (dir: string, copy: string): Promise<string> => {
      if (isInside(path.resolve(dir), path.resolve(this.options.sharedDir))) return dir;
      await cp(dir, copy, { recursive: true, verbatimSymlinks: true });
      return copy;
    };
    const [codeDir, dataDir, harnessDir] = await Promise.all([
      shared(spec.codeDir, `${folder.dir}/code`),
      shared(spec.dataDir, `${folder.dir}/data`),
      spec.harnessDir === undefined ? undefined : shared(spec.harnessDir, `${folder.dir}/harness`),
    ]);
    const job: NodeJob = {
      folder,
      run: {
        runId: spec.runId,
        runtime: spec.runtime,
        ...(spec.runtimeDigest === undefined ? {} : { runtimeDigest: spec.runtimeDigest }),
        ...(spec.runtimeImage === undefined ? {} : { runtimeImage: spec.runtimeImage }),
        command: spec.command,
        codeDir,
        ...(harnessDir === undefined ? {} : { harnessDir }),
        ...(spec.codeReadOnly === undefined ? {} : { codeReadOnly: spec.codeReadOnly }),
        ...(spec.aliases === undefined ? {} : { aliases: spec.aliases }),
        dataDir,
        layout: spec.layout,
        limits: spec.limits,
        ...(spec.env === undefined ? {} : { env: spec.env }),
      },
      sandbox: this.options.sandbox ?? {},
    };
    await writeFile(folder.spec, JSON.stringify(job), { mode: 0o600 });
    await writeFile(folder.script, batchScript(this.#nodeCommand, folder));
    await chmod(folder.script, 0o700);
  }

  #sbatchArgs(spec: RunSpec, name: string, folder: JobFolder): string[] {
    return sbatchArgs(spec.limits, {
      name,
      folder,
      ...(this.options.partition ? { partition: this.options.partition } : {}),
      overheadBytes: this.options.memoryOverheadBytes ?? 256 << 20,
      extraCpus: this.options.extraCpus ?? 0,
      graceSeconds: this.options.graceSeconds ?? 120,
      extraArgs: this.options.extraArgs ?? [],
    });
  }

  /** Ends the job if it still runs (a no-op for one that is over) and removes its folder. */
  async #dispose(jobId: string | undefined, folder: JobFolder): Promise<void> {
    try {
      if (jobId !== undefined) await this.#client.cancel(jobId);
    } finally {
      await rm(folder.dir, { recursive: true, force: true });
    }
  }
}
