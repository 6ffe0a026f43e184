import type { ScoringConfig } from '../domain/competition.js';

export interface ScoreInput {
  /** Host path of the predictions file a run wrote. Hostile: may be a symlink, a fifo, huge, binary. */
  predictionsPath: string;
  /** The competition's submission format CSV (header + every id). */
  submissionFormatPath: string;
  /** Labels CSV: id column, target column(s), and the split column when the split is by column. */
  labelsPath: string;
  idColumn: string;
  scoring: ScoringConfig;
  /** Largest predictions file accepted. @defaultValue 1 GiB */
  maxBytes?: number;
  /**
   * The output folder as the run sees it, named when the predictions file is missing.
   * @defaultValue `defaultLayout.output` (/code_execution/submission)
   */
  outputFolder?: string;
}

/** Scores by metric name, for each part of the labels. */
export type Scores = Record<string, number>;

export type ScoreOutcome =
  | { ok: true; public: Scores; private: Scores; rows: number }
  | { ok: false; reason: 'invalid_output' | 'scoring_error'; message: string };
