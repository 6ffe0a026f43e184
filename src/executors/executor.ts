import type { Limits, RunAliasKind, RunLayout } from '../domain/limits.js';
import type { ResourceUsage } from '../domain/resource-usage.js';

/** Everything an executor needs to run one submission. Paths outside the run are host paths. */
export interface RunSpec {
  /** Unique per run; names cgroups, scratch folders and containers. */
  runId: string;
  /** Runtime name ("host": the machine's own /usr, read-only; otherwise a runtime image, see runtimeDigest). */
  runtime: string;
  /**
   * Content digest the runtime must have (the one the competition recorded). An executor whose
   * runtime of that name has another digest refuses the run with an Error, so a result is never
   * produced by a runtime other than the recorded one. Undefined: no check.
   */
  runtimeDigest?: string;
  /**
   * Where to get the runtime image when this host does not have the one with `runtimeDigest` yet
   * (a pinned reference such as `registry:5000/holdout/python-ml@sha256:…`). Undefined for "host".
   */
  runtimeImage?: string;
  /** argv, run in `layout.code`, e.g. ["python", "main.py"]. */
  command: string[];
  /** The unpacked submission. The executor copies it into the run's writable space; it is not modified. */
  codeDir: string;
  /** Test features; mounted read-only at `layout.data`. */
  dataDir: string;
  /**
   * A host's harness files (see domain/harness.ts), mounted read-only at `harnessMount`; `command`
   * is then the harness's. Executors that cannot mount it (kubernetes, the participant's local
   * runners, which never get one) refuse the run with an Error.
   */
  harnessDir?: string;
  /** Mount the code at `layout.code` read-only (a harness imports it and the run writes elsewhere). @defaultValue false */
  codeReadOnly?: boolean;
  layout: RunLayout;
  /**
   * Further in-run paths where the run's folders appear too, with the same access (the fixed
   * `/app/...` paths Codabench programs hard-code); `scratch` is an empty writable folder of the
   * run's own, counted as memory like /tmp. An alias equal to, inside or around a layout path (or
   * the harness's) is left out: the layout wins. See `runAliases`.
   * @remarks The kubernetes executor mounts none (its pods have the layout's paths only).
   */
  aliases?: Readonly<Record<string, RunAliasKind>>;
  limits: Limits;
  /**
   * Ids of the host GPUs this run may use (N of /dev/nvidiaN), as many as `limits.gpus`; the worker
   * assigns them so that no two of its runs share one. The run sees these and no others.
   */
  gpus?: readonly string[];
  /** Extra environment variables for the run (nothing else of the host's environment is passed). */
  env?: Record<string, string>;
  /** stdout and stderr, interleaved, capped at `limits.logBytes`, are written to this host file. */
  logPath: string;
  /** Live log chunks, capped like the file. */
  onLog?: (chunk: Buffer) => void;
  /** Aborting kills the run; the result's outcome is then "cancelled". */
  signal?: AbortSignal;
}

/**
 * How the run ended, as far as the executor can tell. Judging the predictions is not its job.
 * `exited`: the entry point ended by itself (see exitCode); the others say why it was stopped.
 */
export const runOutcomes = ['exited', 'timeout', 'out_of_memory', 'cancelled'] as const;
export type RunOutcome = (typeof runOutcomes)[number];

export interface RunResult {
  outcome: RunOutcome;
  /** Exit code of the entry point; null when it was killed by a signal. */
  exitCode: number | null;
  /** Signal name that ended the entry point, if any. */
  signal: string | null;
  wallMs: number;
  /**
   * What the run used (CPU time, peak memory, GPU time), where this executor can measure it;
   * `usage.wallMs` equals `wallMs`. Undefined: nothing beyond the wall time is known.
   */
  usage?: ResourceUsage;
  logBytes: number;
  /** True when output past `limits.logBytes` was dropped. */
  logTruncated: boolean;
  /**
   * Host folder holding what the run left in `layout.output`. It may contain anything a hostile
   * program can create (symlinks, fifos, huge files): read it with lstat/O_NOFOLLOW only.
   * Valid until `dispose()`.
   */
  outputDir: string;
  /** Frees the run's resources (scratch, mounts, cgroups). Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Runs untrusted code with no network, read-only data, a writable scratch and output, and hard
 * limits. An exception means the platform failed (the worker retries); everything the submission
 * caused is a value in RunResult.
 */
export interface Executor {
  readonly name: string;
  /**
   * GPUs the executor takes from elsewhere rather than from the worker's host (a cluster's
   * `nvidia.com/gpu`), as ids the worker hands out one run at a time, like host GPU ids. A worker
   * whose executor has this offers these and none of its host's.
   * @remarks undefined: the executor runs on the worker's host and uses the host's GPUs.
   */
  readonly clusterGpus?: readonly string[];
  /**
   * Why this executor cannot run a host's harness, where it cannot: installing a competition with
   * a harness on a host whose executor says so is refused, and a run of one fails at once.
   * @remarks undefined: the executor mounts a harness (`RunSpec.harnessDir`).
   */
  readonly cannotRunHarness?: string;
  /**
   * Checks that the host can run sandboxes (tools present, privileges), with `gpus` assigned to a
   * trial run when given; throws a clear error if not.
   */
  check(options?: { gpus?: readonly string[] }): Promise<void>;
  run(spec: RunSpec): Promise<RunResult>;
}

export type { RunAliasKind };

/**
 * The aliases a run can have: those clear of the layout's paths and the harness's mount (and,
 * for `harness`, only with a harness). Pure.
 */
export function runAliases(aliases: RunSpec['aliases'], layout: RunLayout, taken: readonly string[], hasHarness: boolean): Array<[path: string, kind: RunAliasKind]> {
  const busy = [layout.code, layout.data, layout.output, ...taken];
  const clash = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  return Object.entries(aliases ?? {}).filter(([p, kind]) => (kind !== 'harness' || hasHarness) && !busy.some((b) => clash(p, b)));
}

/**
 * The executor can never run this spec, whatever the attempt (not a passing fault): the worker
 * fails the submission at once, as an infrastructure failure with this message, instead of
 * retrying it (as BullMQ's UnrecoverableError).
 */
export class UnrunnableError extends Error {
  override name = 'UnrunnableError';
}
