import type { StoredCompetition } from '../db/competitions-repo.js';
import type { SubmissionRow } from '../db/schema.js';
import { phaseConfig } from '../domain/phases.js';
import type { RunContext } from './run-submission.js';
import type { WorkerDeps } from './worker-deps.js';

/** The blobs, executor, bundle folder and features a run of `row` reads (a submission's, or a determinism check's re-run). */
export async function runInputs(
  deps: Pick<WorkerDeps, 'blobs' | 'executor' | 'bundles' | 'features'>,
  competition: StoredCompetition,
  row: Pick<SubmissionRow, 'kind' | 'phase'>,
): Promise<Pick<RunContext, 'blobs' | 'executor' | 'bundleDir' | 'featuresDir'>> {
  return {
    blobs: deps.blobs,
    executor: deps.executor,
    bundleDir: await deps.bundles.get(competition.bundleKey, competition.bundleDigest, { without: deps.features?.served(competition) ?? [] }),
    ...(await featuresOf(deps, competition, row)),
  };
}

/** The features folder of a run, where a data image or a host folder provides it. */
async function featuresOf(deps: Pick<WorkerDeps, 'features'>, competition: StoredCompetition, row: Pick<SubmissionRow, 'kind' | 'phase'>): Promise<{ featuresDir?: string }> {
  // Images hold the competition's own features: a phase with features of its own reads its copy.
  const own = phaseConfig(competition.config, row.phase).data;
  const { data } = competition.config;
  const smoke = row.kind === 'smoke' && data.smoke !== undefined;
  if (smoke ? own.smoke?.features !== data.smoke?.features : own.testFeatures !== data.testFeatures) return {};
  const featuresDir = await deps.features?.folder(competition, smoke);
  return featuresDir === undefined ? {} : { featuresDir };
}
