import type { Limits, RunLayout } from './limits.js';

/** A metric by name (see scoring/metrics) with its direction. */
export interface MetricSpec {
  metric: string;
  higherIsBetter: boolean;
  /** Column compared between labels and predictions; defaults to the first non-id column of the format. */
  column?: string;
}

/** How label rows are divided between the public (live) and the private (final) leaderboard. */
export type SplitSpec =
  | { kind: 'column'; column: string; publicValue: string; privateValue: string }
  | { kind: 'seeded'; seed: number; publicFraction: number };

export interface ScoringConfig {
  primary: MetricSpec;
  extra: MetricSpec[];
  split: SplitSpec;
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
  entrypoint: string[];
  limits: Limits;
  layout: RunLayout;
  /** Predictions file, relative to the run's output folder. */
  predictionsFile: string;
  idColumn: string;
  data: DataConfig;
  scoring: ScoringConfig;
  phases: Phase[];
}
