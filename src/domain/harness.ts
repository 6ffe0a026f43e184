import type { RunAliasKind } from './limits.js';

/**
 * A host's harness (Codabench's ingestion program, DrivenData's supervisor): a program of the
 * bundle that runs in the run's sandbox instead of the entry point and drives the participant's
 * code (imports it, or runs it), reading the test features and writing the outputs.
 */
export interface HarnessConfig {
  /** Bundle-relative folder of the harness's files, mounted read-only at {@link harnessMount}; never public. */
  dir?: string;
  /** argv run in the code folder; `$harness` in an argument is already replaced by {@link harnessMount}. */
  command: string[];
  /** Deadline for each call of the participant's code, handed to the harness (HOLDOUT_CALL_TIMEOUT). */
  callTimeoutMs?: number;
  /** Whether the participant's code folder is writable (pre/post steps that run main.py in place). @defaultValue false */
  writableCode: boolean;
}

/** Where the harness's files appear in a run: outside every layout path, so no submission file can shadow them. */
export const harnessMount = '/holdout/harness';

/**
 * The exit status with which a harness reports that a call of the participant's code passed its
 * deadline (`holdout_harness.call` exits with it; `timeout(1)`'s status too).
 */
export const callTimeoutExit = 124;

/**
 * The paths Codabench's ingestion programs hard-code, where a harness run shows its folders too:
 * the harness itself at /app/program, the participant's code at /app/ingested_program, the test
 * features at /app/input_data, the outputs at /app/output, and an empty writable /app/shared
 * (a run's own: scoring does not see it). A layout path among them wins.
 */
export const codabenchIngestionAliases: Readonly<Record<string, RunAliasKind>> = Object.freeze({
  '/app/program': 'harness',
  '/app/ingestion_program': 'harness',
  '/app/ingested_program': 'code',
  '/app/input_data': 'data',
  '/app/output': 'output',
  '/app/shared': 'scratch',
});
