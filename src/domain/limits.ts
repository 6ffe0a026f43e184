/** Hard limits for one run. Sizes in bytes, times in milliseconds. */
export interface Limits {
  /** Wall-clock time from start to kill. */
  wallTimeMs: number;
  /** Memory of the whole process tree (RAM; swap is not allowed on top). */
  memoryBytes: number;
  /** CPU quota in cores (may be fractional). */
  cpus: number;
  /** Maximum number of processes and threads alive at once. */
  pids: number;
  /** Total bytes the run may write to its writable folders (code scratch + output). */
  outputBytes: number;
  /** Bytes of stdout+stderr kept; the rest is dropped while the run goes on. */
  logBytes: number;
  /** GPUs the run needs. */
  gpus: number;
}

/** Where things appear inside a run: the layout DrivenData participants know. */
export interface RunLayout {
  /** The unpacked submission; the working directory. */
  code: string;
  /** Test features, read-only. */
  data: string;
  /** Writable folder for predictions. */
  output: string;
}

/** What a further path of a run shows (see `RunSpec.aliases`): one of its folders, or an empty writable one. */
export type RunAliasKind = 'code' | 'data' | 'output' | 'harness' | 'scratch';

export const defaultLayout: RunLayout = Object.freeze({
  code: '/code_execution/src',
  data: '/code_execution/data',
  output: '/code_execution/submission',
});
