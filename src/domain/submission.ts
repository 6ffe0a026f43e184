import { type LogPolicy, logVisibility } from './log-visibility.js';

/** Lifecycle: queued → running → scoring → scored, or failed with one reason. */
export const submissionStatuses = ['queued', 'running', 'scoring', 'scored', 'failed', 'cancelled'] as const;
export type SubmissionStatus = (typeof submissionStatuses)[number];

export const failureReasons = [
  'timeout',
  'out_of_memory',
  'nonzero_exit',
  'invalid_output',
  'scoring_error',
  'infrastructure',
] as const;
export type FailureReason = (typeof failureReasons)[number];

export const submissionKinds = ['full', 'smoke'] as const;
export type SubmissionKind = (typeof submissionKinds)[number];

export function isFinal(status: SubmissionStatus): boolean {
  return status === 'scored' || status === 'failed' || status === 'cancelled';
}

/** What a participant reads next to a failed submission: the reason in words and what to do. */
export const reasonAdvice: Record<FailureReason, string> = {
  timeout: 'The run passed the time limit and was stopped. Make inference faster or process the data in batches.',
  out_of_memory: 'The run used more memory than the limit and was killed. Load data in chunks or use a smaller model.',
  nonzero_exit: 'The program exited with an error. Read the log for the traceback and test locally before submitting.',
  invalid_output: 'The predictions file does not match the submission format. The message names the first problem.',
  scoring_error: 'Scoring failed on our side of the competition. The host has been told; you need not resubmit.',
  infrastructure: 'The platform failed while running this submission. It does not count against your quota.',
};

/**
 * The advice for a failed run of `kind`, fitted to what its participant can read: "read the log"
 * only where the log is shown, else where to get a traceback (a smoke run, or local runs when the
 * competition has no smoke sample, as an imported Codabench bundle). Pure.
 */
export function failureAdvice(reason: FailureReason, kind: SubmissionKind, config: { logs?: LogPolicy; hasSmoke: boolean }): string {
  if (reason !== 'nonzero_exit' || logVisibility(config.logs, kind) !== 'reason-only') return reasonAdvice[reason];
  const where = config.hasSmoke
    ? 'Submit a smoke run (or run "holdout test-submission") to read the traceback on the public sample.'
    : 'It has no smoke sample either: run your code on the training data in the competition\'s runtime before submitting.';
  return `The program exited with an error. This competition withholds the logs of ${kind} runs (they can leak test data); the message above is what it shows. ${where}`;
}
