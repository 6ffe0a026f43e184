import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkEntryPoint, extractZip } from '../archive/safe-unzip.js';
import type { CompetitionConfig, DataConfig, RuntimeChoice } from '../domain/competition.js';
import { entryFile } from '../domain/entry-file.js';
import { phaseConfig } from '../domain/phases.js';
import type { SubmissionResult } from '../db/submissions-repo.js';
import type { Executor } from '../executors/executor.js';
import { discoverGpus } from '../executors/gpu-host.js';
import { FsBlobStore } from '../storage/fs/fs-blob-store.js';
import { runSubmission } from '../worker/run-submission.js';

/**
 * What running a competition's smoke test needs, and all of it: the API serves it with the
 * competition (`localTest`), and `holdout test-submission` builds the same run from it.
 * @remarks Holds the scoring configuration, split included, which is also what lets a participant
 * compute the smoke sample's public part exactly as the platform does.
 */
export type LocalTestKit = Pick<
  CompetitionConfig,
  'slug' | 'title' | 'runtime' | 'runtimeDigest' | 'runtimeImage' | 'entrypoint' | 'limits' | 'layout' | 'predictionsFile' | 'idColumn' | 'scoring'
> & {
  smoke: NonNullable<DataConfig['smoke']>;
  /** The phase whose runs the kit repeats (its runtime, limits, data...); absent: the competition's own settings. */
  phase?: string;
  /**
   * Set when the phase's code runs in a runtime of its own: the competition's runtime, which the
   * scoring program keeps (as on the platform); `runtime` above is then the phase's.
   */
  scoringRuntime?: RuntimeChoice;
  /**
   * Set when the host's harness drives the runs: its files are never published, so a local run
   * could not be the platform's; `holdout test-submission` says so and points to a smoke submission.
   */
  drivenByHarness?: true;
};

/**
 * The kit of a competition's phase `phase` (its own runtime, limits, data... in place of the
 * competition's, as a worker runs its submissions), or of the competition's own settings without
 * a phase; null when it declares no smoke sample. Pure.
 */
export function localTestKit(competition: CompetitionConfig, phase?: string): LocalTestKit | null {
  const config = phase === undefined ? competition : phaseConfig(competition, phase);
  const smoke = config.data.smoke;
  if (smoke === undefined) return null;
  const { slug, title, runtime, runtimeDigest, runtimeImage, entrypoint, limits, layout, predictionsFile, idColumn, scoring } = config;
  const ownRuntime = competition.phases.find((p) => p.name === phase)?.own?.runtime !== undefined;
  return {
    slug,
    title,
    runtime,
    ...(runtimeDigest === undefined ? {} : { runtimeDigest }),
    ...(runtimeImage === undefined ? {} : { runtimeImage }),
    entrypoint,
    limits,
    layout,
    predictionsFile,
    idColumn,
    scoring,
    smoke,
    ...(phase === undefined ? {} : { phase }),
    ...(ownRuntime ? { scoringRuntime: runtimeChoice(competition) } : {}),
    ...(config.harness ? { drivenByHarness: true as const } : {}),
  };
}

function runtimeChoice(c: Pick<CompetitionConfig, 'runtime' | 'runtimeDigest' | 'runtimeImage'>): RuntimeChoice {
  return { name: c.runtime, ...(c.runtimeDigest === undefined ? {} : { digest: c.runtimeDigest }), ...(c.runtimeImage === undefined ? {} : { image: c.runtimeImage }) };
}

/** The platform's defaults for unpacking a submission (HOLDOUT_MAX_UNPACKED_BYTES, HOLDOUT_MAX_FILES). */
export const platformUnpackLimits = { maxUnpackedBytes: 2048 * 1024 * 1024, maxFiles: 10_000 } as const;

/** What `runLocalTest` needs. */
export interface LocalTestInput {
  kit: LocalTestKit;
  /** Folder holding the smoke files at their bundle-relative paths (a bundle, or a download). */
  bundleDir: string;
  zipFile: string;
  executor: Executor;
  /** The run's output, live. */
  onLog?: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

/**
 * Runs a submission zip on a competition's smoke sample exactly as a worker runs a smoke
 * submission: the upload's checks (safe unzip, entry point at the top), then the worker's own
 * `runSubmission` (same unpacking, environment with HOLDOUT_SMOKE=1, executor, failure reasons,
 * validation and scoring), so a local score equals the platform's for the same zip and sample.
 * @throws ArchiveError for a zip the platform would refuse at upload; Error when the run could
 * not happen (the executor failed).
 */
export async function runLocalTest(input: LocalTestInput): Promise<SubmissionResult> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'holdout-test-submission-'));
  try {
    const checked = path.join(work, 'checked');
    await mkdir(checked);
    const entries = await extractZip(input.zipFile, checked, { maxBytes: platformUnpackLimits.maxUnpackedBytes, maxFiles: platformUnpackLimits.maxFiles });
    const entry = entryFile(input.kit.entrypoint);
    if (entry) checkEntryPoint(entries, entry);
    await rm(checked, { recursive: true, force: true });

    const bundleDir = path.join(work, 'bundle');
    await copySmokeSample(input.bundleDir, bundleDir, input.kit.smoke);
    const blobs = new FsBlobStore(path.join(work, 'blobs'));
    const id = `local-${randomBytes(6).toString('hex')}`;
    const zipKey = `submissions/${input.kit.slug}/${id}.zip`;
    await blobs.put(zipKey, createReadStream(input.zipFile));
    const runDir = path.join(work, 'run');
    await mkdir(runDir);
    const { config, phase } = configOf(input.kit);
    const result = await runSubmission({ id, kind: 'smoke', zip_key: zipKey, attempts: 1, ...(phase ? { phase } : {}) }, { config }, {
      blobs,
      executor: input.executor,
      bundleDir,
      workDir: runDir,
      limits: platformUnpackLimits,
      signal: input.signal ?? new AbortController().signal,
      gpus: await localGpus(input.kit.limits.gpus),
      onScoring: async () => undefined,
      ...(input.onLog ? { onLog: input.onLog } : {}),
    });
    return result === 'cancelled' ? { status: 'cancelled' } : result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The first GPUs of this machine, for a competition that needs them: the same count a worker hands
 * to the run (the local executor ignores them and shows the run every GPU).
 * @throws Error when this machine has fewer.
 */
async function localGpus(needed: number): Promise<string[]> {
  if (needed === 0) return [];
  const { gpus } = await discoverGpus({ driverFiles: false });
  if (gpus.length < needed) throw new Error(`this competition's runs need ${needed} GPU(s); this machine has ${gpus.length} (no /dev/nvidiaN)`);
  return gpus.slice(0, needed).map((g) => g.id);
}

/**
 * The competition as the worker sees it for a smoke run. A smoke run reads only `data.smoke`; the
 * full run's paths are set to the smoke sample's too, so nothing else could ever be read.
 * A runtime image (pinned by `runtimeImage`) is the competition's own, pulled here if needed; a
 * runtime without one leaves its digest out: built on this machine, it has its own. A phase in a
 * runtime of its own becomes the one phase of the result, so that the worker's own `phaseConfig`
 * runs the code in it and the scoring program in the competition's.
 */
function configOf(kit: LocalTestKit): { config: CompetitionConfig; phase?: string } {
  const { runtime, runtimeDigest, runtimeImage, smoke, phase, scoringRuntime, ...rest } = kit;
  const pinned = (r: RuntimeChoice): RuntimeChoice => ({ name: r.name, ...(r.image !== undefined && r.digest !== undefined ? { image: r.image, digest: r.digest } : {}) });
  const code = pinned({ name: runtime, ...(runtimeDigest === undefined ? {} : { digest: runtimeDigest }), ...(runtimeImage === undefined ? {} : { image: runtimeImage }) });
  const top = scoringRuntime === undefined ? code : pinned(scoringRuntime);
  const config: CompetitionConfig = {
    ...rest,
    runtime: top.name,
    ...(top.image !== undefined && top.digest !== undefined ? { runtimeImage: top.image, runtimeDigest: top.digest } : {}),
    description: '',
    data: { public: [], testFeatures: smoke.features, labels: smoke.labels, submissionFormat: smoke.submissionFormat, smoke },
    phases: [],
  };
  if (scoringRuntime === undefined) return { config };
  const name = phase ?? 'local';
  return { config: { ...config, phases: [{ name, start: new Date(0), dailyQuota: 1, own: { runtime: code } }] }, phase: name };
}

/**
 * Copies the smoke sample into the run's own folder, world-readable (folders 0755, files 0644):
 * the sandbox mounts the features for an unprivileged uid, whatever the permissions of the
 * participant's copy.
 */
async function copySmokeSample(from: string, to: string, smoke: LocalTestKit['smoke']): Promise<void> {
  for (const rel of [smoke.features, smoke.labels, smoke.submissionFormat]) {
    const source = path.join(from, rel);
    const info = await stat(source).catch(() => undefined);
    if (!info) throw new Error(`the smoke sample is incomplete: ${source} is missing`);
    await copyReadable(source, path.join(to, rel), info.isDirectory());
  }
}

async function copyReadable(source: string, target: string, isDir: boolean): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  if (!isDir) {
    await copyFile(source, target);
    await chmod(target, 0o644);
    return;
  }
  await mkdir(target, { recursive: true, mode: 0o755 });
  await chmod(target, 0o755);
  for (const entry of await readdir(source, { withFileTypes: true })) {
    // Only plain files and folders: a link in a downloaded sample must not reach outside it.
    if (entry.isFile() || entry.isDirectory()) await copyReadable(path.join(source, entry.name), path.join(target, entry.name), entry.isDirectory());
  }
}
