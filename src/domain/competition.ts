import type { HarnessConfig } from './harness.js';
import type { Limits, RunLayout } from './limits.js';
import type { LogPolicy } from './log-visibility.js';

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
  | { kind: 'seeded'; seed: number; publicFraction: number };

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
}

/** Paths are relative to the bundle's root and validated to stay inside it. */
export interface DataConfig {
  /** Files or folders participants may download. */
  public: string[];
  /** Folder mounted read-only at the run's data path. */
  testFeatures: string;
  /** CSV with the id column, the target column(s) and, for a column split, the split column. */
  labels: string;
  /** CSV whose header and ids a predictions file must match exactly. */
  submissionFormat: string;
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
}

/** How many submissions count for the final ranking when the bundle does not say (Kaggle's usual 2). */
export const defaultFinalSelections = 2;

/** How many submissions a participant or team may choose for the final ranking. */
export function finalSelectionsOf(config: Pick<CompetitionConfig, 'finalSelections'>): number {
  return config.finalSelections ?? defaultFinalSelections;
}
