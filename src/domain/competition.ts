import type { HarnessConfig } from './harness.js';
import type { Limits, RunLayout } from './limits.js';
import type { LogPolicy } from './log-visibility.js';
import type { PrizeLimits, ResourceColumn } from './resource-usage.js';

/**
 * A metric by name with its direction: a built-in metric (see scoring/metrics), or with a
 * scoring program, a key of the scores file the program writes.
 */
/** The ways a predictions file may be written. */
export const predictionsFormats = ['csv', 'jsonl'] as const;
export type PredictionsFormat = (typeof predictionsFormats)[number];

export interface MetricSpec {
  metric: string;
  higherIsBetter: boolean;
  /** Column compared between labels and predictions; defaults to the first non-id column of the format. */
  column?: string;
  /**
   * The 0/1 target columns a multi-label metric reads together, in order; defaults to every
   * non-id column of the format. Set only for a multi-label metric, and never with `column`.
   */
  columns?: string[];
}

/** How label rows are divided between the public (live) and the private (final) leaderboard. */
export type SplitSpec =
  | { kind: 'column'; column: string; publicValue: string; privateValue: string }
  | { kind: 'seeded'; seed: number; publicFraction: number }
  /** Every row is scored together: a phase with `private: false`; its scores count for both boards. */
  | { kind: 'whole' };

/**
 * A host's own scoring program, laid out as Codabench and CodaLab scoring programs are: it reads
 * `$input/ref` (the labels) and `$input/res` (the predictions) and writes `scores.json` or
 * `scores.txt` to `$output`. It runs through an executor with the same isolation as a submission.
 */
export interface ScoringProgram {
  /** Bundle-relative folder holding the program; the run gets a writable copy at `$program`. */
  dir: string;
  /** argv; `$program`, `$input` and `$output` (or `${program}`...) in an argument become the in-run folders. */
  command: string[];
  /** Runtime the program runs in. @defaultValue the competition's runtime */
  runtime?: string;
  limits: Limits;
  /**
   * `parts` (default): `$input/res` holds the validated predictions CSV, once per part of the
   * labels. `raw`: as Codabench gives it, `$input/res` holds every file the run wrote (or the
   * result submission's files) and `$input/ref` the whole labels file or folder; one run on the
   * whole reference set, whose scores count for both leaderboards.
   */
  input?: 'parts' | 'raw';
  /**
   * A raw program reports how many reference rows it scored: the scores file's `key` holds the
   * count, which must reach `expected` (or, without it, the data rows of the labels CSV file);
   * fewer ends as `scoring_error`. A parts program needs none: its predictions are checked row by
   * row against the submission format before it runs.
   */
  rows?: { key: string; expected?: number };
}

export interface ScoringConfig {
  primary: MetricSpec;
  extra: MetricSpec[];
  split: SplitSpec;
  /**
   * Scores come from this program instead of the built-in metrics; `primary` and `extra` then
   * name keys of its scores file, and their `column` is not used.
   */
  program?: ScoringProgram;
}

export interface Phase {
  name: string;
  start: Date;
  /** Undefined: open-ended. */
  end?: Date;
  /** Submissions per participant per UTC day. */
  dailyQuota: number;
  /**
   * A daily allowance of its own for runs that fail through the participant's code (timeout, out
   * of memory, exit code, invalid output): up to this many a day do not use `dailyQuota`.
   * Platform failures and cancelled runs never use any quota. Absent: failures use the quota.
   */
  failedQuota?: number;
  /** Compute per participant or team per week (from Monday 00:00 UTC); absent: no budget. */
  weeklyBudget?: ComputeBudget;
  /** Full submissions per participant or team in the whole phase. @defaultValue unlimited */
  totalQuota?: number;
  /** What participants upload: `code` to run, or `results` (predictions) scored directly. @defaultValue 'code' */
  submission?: SubmissionMode;
  /** What the phase sets for itself; the competition's settings apply to the rest (see `phaseConfig`). */
  own?: PhaseOwn;
  /**
   * Participants' selected submissions of the previous phase are queued again in this one
   * (re-run on its data) when it opens. @defaultValue false
   */
  carrySelections?: boolean;
}

/** CPU and GPU time a participant or team may use; either may be absent (no limit on it). */
export interface ComputeBudget {
  cpuMs?: number;
  gpuMs?: number;
}

export const submissionModes = ['code', 'results'] as const;
export type SubmissionMode = (typeof submissionModes)[number];

/**
 * A runtime as a competition or a phase names it: "host", a recipe name, or an image; `digest` and
 * `image` as in `CompetitionConfig.runtimeDigest` and `runtimeImage` (recorded at install).
 */
export interface RuntimeChoice {
  name: string;
  digest?: string;
  image?: string;
}

/** Settings a phase may own; each replaces the competition's for that phase's submissions. */
export interface PhaseOwn {
  data?: DataConfig;
  limits?: Limits;
  /**
   * What the phase's code (and harness) runs in, recorded at install as the competition's runtime
   * is. The scoring program keeps the competition's runtime (it is the competition's, not the phase's).
   */
  runtime?: RuntimeChoice;
  logs?: LogPolicy;
  entrypoint?: string[];
  predictionsFile?: string;
  /** false: no hidden part; scores on the whole reference set count for both leaderboards. */
  private?: boolean;
}

/** Paths are relative to the bundle's root and validated to stay inside it. */
export interface DataConfig {
  /** Files or folders participants may download. */
  public: string[];
  /** Folder mounted read-only at the run's data path; only result submissions go without. */
  testFeatures?: string;
  /**
   * CSV with the id column, the target column(s) and, for a column split, the split column; for
   * a raw scoring program, any file or folder (its `$input/ref`).
   */
  labels: string;
  /** CSV whose header and ids a predictions file must match exactly; a raw scoring program goes without. */
  submissionFormat?: string;
  /** A small public sample for smoke runs. */
  smoke?: { features: string; labels: string; submissionFormat: string };
}

/** A competition as declared by a validated bundle, normalised (bytes, milliseconds, argv). */
export interface CompetitionConfig {
  slug: string;
  title: string;
  /** Markdown, already read from the file the bundle names. */
  description: string;
  runtime: string;
  /**
   * Image ID ("sha256:<hex>" of the image config) of the runtime image, recorded when the
   * competition is installed or updated (see src/runtimes); workers refuse to run it in an image
   * with another ID. Absent for "host", which is not content-addressed.
   */
  runtimeDigest?: string;
  /**
   * Where a worker pulls the runtime image from when its host lacks the one with `runtimeDigest`:
   * the `runtime: { image: … }` reference of competition.yaml (best pinned, `registry/repo@sha256:…`),
   * or the local tag of the recipe build recorded at install. Absent for "host".
   */
  runtimeImage?: string;
  entrypoint: string[];
  /**
   * Debian packages the competition needs in its runtime beyond the recipe's (`python3-lightgbm`):
   * built into the image by the host (`holdout runtime build`); a run that misses one is told which.
   */
  packages?: string[];
  /** The host's program that runs instead of `entrypoint` and drives the participant's code. */
  harness?: HarnessConfig;
  limits: Limits;
  layout: RunLayout;
  /** Predictions file, relative to the run's output folder. */
  predictionsFile: string;
  /**
   * How the predictions file is written: CSV with the submission format's header, or JSON lines
   * (one object per row, keyed by the format's columns).
   * @defaultValue 'csv' (also for configurations stored before it existed)
   */
  predictionsFormat?: PredictionsFormat;
  idColumn: string;
  data: DataConfig;
  scoring: ScoringConfig;
  phases: Phase[];
  /** What participants may read of their runs' logs; absent in configurations stored before it existed (the defaults apply). */
  logs?: LogPolicy;
  /**
   * How many submissions a participant or team may choose for the final (private) ranking.
   * @defaultValue 2 (`finalSelectionsOf`; also for configurations stored before it existed)
   */
  finalSelections?: number;
  /**
   * Digest of the test features and labels (sha256 over their paths and contents), recorded at
   * install; absent in configurations stored before it existed.
   */
  testDataDigest?: string;
  /** How this competition shares the workers with others (see `Scheduling`); absent: weight 1, no caps. */
  scheduling?: Scheduling;
  /** Resource measures the leaderboard shows as columns (of each entrant's ranked entry). */
  resourceColumns?: ResourceColumn[];
  /** Limits a run must keep to be eligible for prizes ("peak memory ≤ 8 GiB"); over them it still ranks. */
  prizeLimits?: PrizeLimits;
}

/**
 * A competition's share of the workers. Claims go to the competition with the fewest runs in
 * progress per unit of weight, then within it to the participant or team with the fewest, then to
 * the oldest submission; a host's re-run or re-score waits behind the participants' own runs.
 */
export interface Scheduling {
  /** Relative share: a competition of weight 2 gets twice the runs at once of one of weight 1 when both have a queue. */
  weight: number;
  /** Most runs of this competition at once, over all workers; absent: no cap. */
  maxRunning?: number;
  /** Most runs of one participant or team at once; absent: no cap. */
  maxRunningPerEntrant?: number;
}

/** How many submissions count for the final ranking when the bundle does not say (Kaggle's usual 2). */
export const defaultFinalSelections = 2;

/** How many submissions a participant or team may choose for the final ranking. */
export function finalSelectionsOf(config: Pick<CompetitionConfig, 'finalSelections'>): number {
  return config.finalSelections ?? defaultFinalSelections;
}
