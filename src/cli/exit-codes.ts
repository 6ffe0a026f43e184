/**
 * Exit codes a script can rely on; `holdout --help` lists them. Stable: new ones are only added.
 */
export const exitCodes = {
  ok: 0,
  /** Something failed unexpectedly: a bug, a disk error, an error on the server's side (5xx). */
  failure: 1,
  /** The command line is wrong: unknown command or option, missing argument. */
  usage: 2,
  /** A file or folder given is unusable: bad zip, bad bundle, a folder `pack` refuses. */
  invalidInput: 3,
  /** The competition, submission, file or runtime does not exist. */
  notFound: 4,
  /** Not logged in, wrong password, rejected token, or not allowed. */
  auth: 5,
  /** The server cannot be reached: down, wrong URL, no network. */
  unreachable: 6,
  /** The submission ran and failed: timeout, out of memory, error exit, invalid predictions. */
  submissionFailed: 7,
  /** The server refused: daily quota used, competition not open, rules not accepted, too many attempts. */
  refused: 8,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** The lines `--help` shows. */
export function describeExitCodes(): string {
  const words: Record<keyof typeof exitCodes, string> = {
    ok: 'success (submit: the submission was scored)',
    failure: 'unexpected failure (a bug, the disk, a server error)',
    usage: 'wrong command line',
    invalidInput: 'unusable input (bad zip, bad bundle, folder refused by pack)',
    notFound: 'no such competition, submission, file or runtime',
    auth: 'not logged in, wrong password, or not allowed',
    unreachable: 'the server cannot be reached',
    submissionFailed: 'the submission ran and failed (timeout, memory, error exit, invalid output)',
    refused: 'refused by the server (quota, not open, rules not accepted)',
  };
  return Object.entries(exitCodes)
    .map(([key, code]) => `  ${code}  ${words[key as keyof typeof exitCodes]}`)
    .join('\n');
}

/**
 * An error the CLI reports as one line (`holdout: <message>`) with its exit code. Anything else
 * thrown is a bug and exits with `failure`.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** Machine-readable code for `--json`, e.g. "quota_exceeded". */
    readonly code: string = codeName(exitCode),
    /** The command's result, printed as the JSON document with `--json` (e.g. a failed submission). */
    readonly result?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

function codeName(exitCode: ExitCode): string {
  return Object.entries(exitCodes).find(([, c]) => c === exitCode)?.[0] ?? 'failure';
}
