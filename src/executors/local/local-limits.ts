import type { Limits, RunLayout } from '../../domain/limits.js';

/** Exit status prlimit reports when it cannot set a limit or exec the command. */
export const prlimitFailed = 1;

/**
 * prlimit's arguments for a run: file size (one file, not the total), no core dumps, and, for a
 * user other than root, a process count on top of what the user already runs. Pure.
 * @param userProcesses - processes the user runs now (RLIMIT_NPROC counts per user); null for root
 */
export function prlimitArgs(limits: Limits, userProcesses: number | null): string[] {
  const args = [`--fsize=${Math.max(1, Math.floor(limits.outputBytes))}`, '--core=0'];
  if (userProcesses !== null) args.push(`--nproc=${userProcesses + limits.pids}`);
  return args;
}

/**
 * The run's environment variables with every layout path (as seen inside a sandbox) replaced by
 * the host folder that stands for it: the local runner mounts nothing. Pure.
 */
export function translateLayoutPaths(
  env: Readonly<Record<string, string>>,
  layout: RunLayout,
  host: { code: string; data: string; output: string },
): Record<string, string> {
  const pairs = (['code', 'data', 'output'] as const).map((k) => [layout[k], host[k]] as const);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = pairs.find(([inside]) => value === inside || value.startsWith(`${inside}/`));
    out[name] = match ? match[1] + value.slice(match[0].length) : value;
  }
  return out;
}

/** What a `LocalExecutor` can enforce on this machine. */
export interface LocalCapabilities {
  /** prlimit (util-linux) is installed. */
  prlimit: boolean;
  /** The runner is root (which ignores RLIMIT_NPROC and may read and write anything). */
  root: boolean;
  /** The runtime the competition names, if it is not "host". */
  runtime?: string;
}

/**
 * What the local runner enforces only approximately, or not at all, compared with the sandbox
 * the platform uses: one sentence each, for the participant to read. Pure.
 */
export function localApproximations(limits: Limits, cap: LocalCapabilities): string[] {
  const mib = (b: number) => `${Math.round(b / (1 << 20))} MiB`;
  const notes = [
    `memory (${mib(limits.memoryBytes)}): resident memory is sampled every 100 ms and the run killed above the limit; a short peak can pass unseen`,
    `CPU (${limits.cpus}): not limited; the run may use every core of this machine`,
    'network: not blocked; on the platform a run has none',
    'files: the run can read and write whatever your user can; the data folder is not read-only',
    'paths: the run sees this machine\'s folders; HOLDOUT_DATA and HOLDOUT_OUTPUT name them (not /code_execution/...)',
    'processes that leave the run\'s process group (setsid) outlive it',
  ];
  if (!cap.prlimit) {
    notes.push('output and processes: not limited (prlimit from util-linux is not installed)');
  } else {
    notes.push(`output (${mib(limits.outputBytes)}): each file is capped, not their total`);
    notes.push(
      cap.root
        ? `processes (${limits.pids}): not limited when running as root`
        : `processes (${limits.pids}): counted with all your other processes (RLIMIT_NPROC is per user)`,
    );
  }
  if (cap.runtime !== undefined) {
    notes.push(`runtime "${cap.runtime}": not used; the run uses this machine's /usr/bin/python3 and its packages`);
  }
  return notes;
}
