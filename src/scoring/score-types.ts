import type { PredictionsFormat, ScoringConfig } from '../domain/competition.js';
import type { Executor } from '../executors/executor.js';
import type { HostDataCache } from './host-data-cache.js';

export interface ScoreInput {
  /** Host path of the predictions file a run wrote. Hostile: may be a symlink, a fifo, huge, binary. */
  predictionsPath: string;
  /** The competition's submission format CSV (header + every id). */
  submissionFormatPath: string;
  /** Labels CSV: id column, target column(s), and the split column when the split is by column. */
  labelsPath: string;
  idColumn: string;
  scoring: ScoringConfig;
  /** How the predictions file is written (JSON lines: built-in metrics only). @defaultValue 'csv' */
  predictionsFormat?: PredictionsFormat;
  /** Largest predictions file accepted. @defaultValue 1 GiB */
  maxBytes?: number;
  /**
   * The output folder as the run sees it, named when the predictions file is missing.
   * @defaultValue `defaultLayout.output` (/code_execution/submission)
   */
  outputFolder?: string;
  /**
   * Where parsed host files (format, labels) are kept between submissions; `null` reads them every time.
   * @defaultValue `sharedHostDataCache`, one per process
   */
  cache?: HostDataCache | null;
  /** What running the competition's scoring program needs; required when `scoring.program` is set. */
  program?: ProgramRunContext;
}

/** What a scoring program's runs need besides the competition's configuration. */
export interface ProgramRunContext {
  /** Runs the program with the isolation of a submission (in production the sandbox executor). */
  executor: Executor;
  /** Host folder of the competition's bundle; the program is `scoring.program.dir` inside it. */
  bundleDir: string;
  /** An empty host folder for the program's inputs and logs; the caller removes it. */
  workDir: string;
  /** Unique per attempt; the runs are `${runId}-score-public` and `${runId}-score-private`. */
  runId: string;
  /** The competition's runtime, for a program that names none. */
  runtime: string;
  /** The digest recorded for `runtime`, required of it when the program runs in it. */
  runtimeDigest?: string;
  /** Where to pull the image of `runtime` from (see RunSpec.runtimeImage), passed with its digest. */
  runtimeImage?: string;
  /** Aborting stops the program; the outcome is then a `scoring_error` ("it was cancelled"). */
  signal?: AbortSignal;
}

/** Scores by metric name, for each part of the labels. */
export type Scores = Record<string, number>;

/**
 * How scoring ended. `message` is for the participant and never quotes the host's files or
 * program; `hostLog`, set when a scoring program failed, is the end of that program's log, for
 * the host only (it may print anything the program read, labels included).
 */
export type ScoreOutcome =
  | { ok: true; public: Scores; private: Scores; rows: number }
  | { ok: false; reason: 'invalid_output' | 'scoring_error'; message: string; hostLog?: string };
