import type { FailureReason, SubmissionStatus } from './submission.js';

/**
 * Blob key of the predictions a run wrote, kept for re-scoring.
 * @remarks Shared by the worker, which keeps and reads them, and the server, which refuses to
 * re-score a submission that has none.
 */
export function predictionsKey(submissionId: string): string {
  return `outputs/${submissionId}/predictions`;
}

/**
 * Whether a finished run can have kept predictions: it was scored, or its predictions were read
 * and refused (invalid output, a failed scorer). A timeout, a crash or an out-of-memory kill wrote
 * none, so re-scoring it is never offered.
 */
export function mayHaveKeptPredictions(status: SubmissionStatus, reason: FailureReason | null): boolean {
  return status === 'scored' || (status === 'failed' && (reason === 'invalid_output' || reason === 'scoring_error'));
}
