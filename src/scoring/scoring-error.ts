/**
 * The host's data or configuration cannot be scored (labels missing a column, an unknown metric...).
 * @remarks Becomes `{ ok: false, reason: 'scoring_error' }`; never raised for a participant's output.
 */
export class ScoringError extends Error {
  override name = 'ScoringError';
}

/**
 * The predictions file breaks the submission format.
 * @remarks Thrown inside the CSV stream to stop it; `scorePredictions` turns it into
 * `{ ok: false, reason: 'invalid_output' }`.
 */
export class InvalidOutputError extends Error {
  override name = 'InvalidOutputError';
}
