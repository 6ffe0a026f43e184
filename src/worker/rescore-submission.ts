import path from 'node:path';
import { phaseConfig } from '../domain/phases.js';
import type { StoredCompetition } from '../db/competitions-repo.js';
import type { SubmissionRow } from '../db/schema.js';
import type { SubmissionResult } from '../db/submissions-repo.js';
import { logVisibility } from '../domain/log-visibility.js';
import { fetchKeptPredictions } from './kept-predictions.js';
import type { RunContext } from './run-submission.js';
import { runData, scoreOutputs } from './score-outputs.js';

/**
 * Scores a submission again from the predictions its last run wrote (a host asked for it, e.g.
 * after fixing the labels), keeping that run's time, exit code and log. Undefined when no
 * predictions were kept: the caller then runs the submission again.
 */
export async function rescoreSubmission(sub: SubmissionRow, competition: Pick<StoredCompetition, 'config'>, ctx: RunContext): Promise<SubmissionResult | 'cancelled' | undefined> {
  // The submission's phase decides its labels and predictions file.
  const config = phaseConfig(competition.config, sub.phase);
  // A raw scoring program reads every file of the run, which is not kept: the caller runs it again.
  if (config.scoring.program?.input === 'raw') return undefined;
  const file = path.join(ctx.workDir, 'output', config.predictionsFile);
  if (!(await fetchKeptPredictions(ctx.blobs, sub.id, file))) return undefined;
  await ctx.onScoring();
  const showsLog = logVisibility(config.logs, sub.kind) !== 'reason-only';
  const scored = await scoreOutputs(sub, config, runData(config, sub.kind), file, { ...ctx, showsLog, scoringRuntime: competition.config });
  if (scored === 'cancelled') return scored;
  return {
    runMs: sub.run_ms,
    exitCode: sub.exit_code,
    logKey: sub.log_key,
    logBytes: sub.log_bytes === null ? null : Number(sub.log_bytes),
    logTruncated: sub.log_truncated === 1,
    ...scored,
  };
}
