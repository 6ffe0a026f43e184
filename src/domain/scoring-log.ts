/**
 * Blob key of the end of a failed scoring program's log, kept for the competition's hosts.
 * @remarks Shared by the worker, which writes it, and the server, which serves it to hosts only:
 * the program may print anything it read, labels included.
 */
export function scoringLogKey(submissionId: string): string {
  return `scoring-logs/${submissionId}.txt`;
}
