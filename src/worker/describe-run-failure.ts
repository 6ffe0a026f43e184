import type { CompetitionConfig } from '../domain/competition.js';
import type { FailureReason } from '../domain/submission.js';
import type { RunResult } from '../executors/executor.js';
import { formatCommand } from '../domain/entry-file.js';
import { callTimeoutExit } from '../domain/harness.js';

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

function mib(bytes: number): string {
  return bytes >= 1 << 30 ? `${Math.round((bytes / (1 << 30)) * 10) / 10} GiB` : `${Math.round(bytes / (1 << 20))} MiB`;
}

/**
 * Turns how a run ended into the participant-facing reason and message, or undefined when it
 * ended cleanly and its predictions should be scored. Pure.
 */
export function describeRunFailure(
  run: Pick<RunResult, 'outcome' | 'exitCode' | 'signal' | 'wallMs'>,
  config: Pick<CompetitionConfig, 'limits' | 'entrypoint' | 'harness'>,
  lastLogLine: string | undefined,
): { reason: FailureReason; message: string } | undefined {
  const command = formatCommand(config.harness?.command ?? config.entrypoint);
  const tail = lastLogLine ? `; last log line: ${lastLogLine}` : '';
  switch (run.outcome) {
    case 'timeout':
      return { reason: 'timeout', message: `stopped after the time limit of ${seconds(config.limits.wallTimeMs)}` };
    case 'out_of_memory':
      return { reason: 'out_of_memory', message: `killed for using more than the memory limit of ${mib(config.limits.memoryBytes)}` };
    case 'cancelled':
    case 'exited':
      break;
  }
  if (run.exitCode === 0) return undefined;
  const callLimit = config.harness?.callTimeoutMs;
  if (callLimit !== undefined && run.exitCode === callTimeoutExit) {
    return { reason: 'timeout', message: `a call of your code took longer than the per-call limit of ${seconds(callLimit)} (the competition's harness stopped the run)` };
  }
  if (run.exitCode === null) return { reason: 'nonzero_exit', message: `"${command}" was killed by ${run.signal ?? 'a signal'}${tail}` };
  return { reason: 'nonzero_exit', message: `"${command}" exited with code ${run.exitCode}${tail}` };
}
