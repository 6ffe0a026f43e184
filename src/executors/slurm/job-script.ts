import type { Limits, RunLayout } from '../../domain/limits.js';
import type { RunAliasKind } from '../executor.js';

/** Where one run's job folder lives on the shared file system, and what it holds. */
export interface JobFolder {
  /** The folder itself: created by the worker, read and written by the job on the compute node. */
  dir: string;
  /** The node-side spec (`NodeJob`, JSON). */
  spec: string;
  /** The batch script sbatch is given. */
  script: string;
  /** Slurm's own stdout and stderr of the job: the node entry's messages, never the run's log. */
  slurmOutput: string;
  /** The run's capped log, as the node's sandbox writes it. */
  log: string;
  /** What the run left in its output folder, copied there by the node entry. */
  output: string;
  /** The node entry's verdict (`NodeVerdict`, JSON), renamed into place as its last step. */
  result: string;
}

export function jobFolder(dir: string): JobFolder {
  return {
    dir,
    spec: `${dir}/job.json`,
    script: `${dir}/job.sh`,
    slurmOutput: `${dir}/slurm.out`,
    log: `${dir}/log.txt`,
    output: `${dir}/output`,
    result: `${dir}/result.json`,
  };
}

/** What sbatch needs besides the run's limits. */
export interface SbatchSettings {
  /** The job's name (the run's cgroup name, so an operator can tell whose job it is). */
  name: string;
  folder: JobFolder;
  partition?: string;
  /** Memory the node entry needs on top of the run's, in bytes (node, bwrap, copying outputs). */
  overheadBytes: number;
  /**
   * CPUs asked beyond the run's, for the node entry (it pumps the run's log and copies its
   * outputs on the job's cores, which Slurm's cpuset shares with the run).
   */
  extraCpus: number;
  /** Seconds Slurm's own time limit adds to the run's wall time: a backstop, never the limit. */
  graceSeconds: number;
  /** Extra sbatch arguments from the host's configuration (account, QOS, constraints…). */
  extraArgs: readonly string[];
}

/**
 * sbatch's arguments for one run. Pure. Slurm allocates what the sandbox on the node will limit:
 * the memory (plus the node entry's), whole CPUs, the GPUs; its time limit only backs up the
 * sandbox's own wall timer. `--no-requeue`: Holdout's queue decides retries, so a job that lost its
 * node must end (NODE_FAIL) instead of starting again behind the worker's back.
 */
export function sbatchArgs(limits: Limits, s: SbatchSettings): string[] {
  const memoryMiB = Math.ceil((limits.memoryBytes + s.overheadBytes) / (1 << 20));
  const minutes = Math.ceil((limits.wallTimeMs / 1000 + s.graceSeconds) / 60);
  return [
    '--parsable',
    `--job-name=${s.name}`,
    ...(s.partition ? [`--partition=${s.partition}`] : []),
    '--nodes=1',
    '--ntasks=1',
    `--cpus-per-task=${Math.max(1, Math.ceil(limits.cpus + s.extraCpus))}`,
    `--mem=${memoryMiB}M`,
    `--time=${minutes}`,
    ...(limits.gpus > 0 ? [`--gres=gpu:${limits.gpus}`] : []),
    '--no-requeue',
    `--chdir=${s.folder.dir}`,
    `--output=${s.folder.slurmOutput}`,
    '--export=NONE',
    ...s.extraArgs,
    s.folder.script,
  ];
}

/** Quotes one word for /bin/sh. Pure. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The batch script: it only replaces itself with the node entry (no shell stays between Slurm's
 * signals and the entry, which turns SIGTERM into a cancelled sandbox run). Pure.
 * @param nodeCommand - argv that starts the node entry, e.g. [node, --import, tsx, node-entry.ts]
 */
export function batchScript(nodeCommand: readonly string[], folder: JobFolder): string {
  // --export=NONE leaves the job only Slurm's variables: the sandbox's tools are found here.
  return ['#!/bin/sh', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH', `exec ${[...nodeCommand, folder.spec].map(shellQuote).join(' ')}`, ''].join('\n');
}

/** Settings of the sandbox executor that runs the job on its node. */
export interface NodeSandboxSettings {
  /** Workspace root on the node. @defaultValue the sandbox's (`<tmpdir>/holdout-sandbox`) */
  root?: string;
  /** Runtimes folder on the node (runtime images unpacked there). */
  runtimesDir?: string;
  /** Folder of the node's NVIDIA device nodes. */
  gpuDevDir?: string;
  /** The runs' uids on the node (see SandboxExecutorOptions). @defaultValue the sandbox's */
  uidRange?: readonly [first: number, last: number];
}

/**
 * What the node entry reads from `job.json`: the run, with every path inside the job folder (or
 * in the shared data), and the sandbox settings. The run's GPUs are the ones Slurm allocates.
 */
export interface NodeJob {
  folder: JobFolder;
  run: {
    runId: string;
    runtime: string;
    runtimeDigest?: string;
    runtimeImage?: string;
    command: string[];
    codeDir: string;
    /** The host's harness (a copy in the job folder), mounted read-only beside the code. */
    harnessDir?: string;
    codeReadOnly?: boolean;
    /** See `RunSpec.aliases`. */
    aliases?: Readonly<Record<string, RunAliasKind>>;
    dataDir: string;
    layout: RunLayout;
    limits: Limits;
    env?: Record<string, string>;
  };
  sandbox: NodeSandboxSettings;
}
