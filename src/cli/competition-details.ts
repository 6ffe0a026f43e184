import type { LocalTestKit } from '../app/local-test.js';
import type { Limits } from '../domain/limits.js';
import type { ApiClient } from './api-client.js';
import { CliError, exitCodes } from './exit-codes.js';

/** A file a participant may download (public data and the smoke sample). */
export interface RemoteFile {
  /** "/"-separated, relative to the bundle. */
  path: string;
  bytes: number;
}

/** The part of `GET /api/competitions/:slug` the CLI reads. */
export interface CompetitionDetails {
  slug: string;
  title: string;
  runtime: string;
  description: string;
  /** The entry point as one line, e.g. "python main.py". */
  entrypoint: string;
  limits: Limits;
  predictionsFile: string;
  /** The submission format's id column, predicted columns and a valid value for each; absent from older servers. */
  submissionFormat?: { idColumn: string; columns: string[]; placeholders: string[] } | null;
  metric: { metric: string; higherIsBetter: boolean };
  bundleDigest: string;
  files: RemoteFile[];
  phases: { name: string; start: string; end?: string; dailyQuota: number; state?: string; runtime?: string; runtimeImage?: RuntimeImage | null }[];
  /** The phase whose run settings (runtime, limits, local test kit) these are: the open one, or `?phase=`; absent from older servers. */
  runsPhase?: string | null;
  /** The image of that phase's runtime, to pull for a local test; null without one. */
  runtimeImage?: RuntimeImage | null;
  /** What the server accepts in an upload; absent from servers older than this field. */
  upload?: { maxZipBytes: number; maxUnpackedBytes: number; maxFiles: number };
  /** What a local smoke test needs; null when the competition has no smoke sample. */
  localTest?: LocalTestKit | null;
}

/** A runtime image as the server names it: a pull reference and the image ID it must have. */
export interface RuntimeImage {
  reference: string;
  digest: string | null;
}

export function competitionPath(slug: string): string {
  return `/api/competitions/${encodeURIComponent(slug)}`;
}

/** The competition, its run settings those of `phase` (else of the phase open now). */
export async function fetchCompetition(client: ApiClient, slug: string, phase?: string): Promise<CompetitionDetails> {
  const details = await client.get<CompetitionDetails>(phase === undefined ? competitionPath(slug) : `${competitionPath(slug)}?phase=${encodeURIComponent(phase)}`);
  // An older server ignores ?phase=: its settings would be another phase's.
  if (phase !== undefined && details.runsPhase !== phase) throw new CliError(`${client.server} cannot describe one phase's runtime (it runs an older Holdout); leave out --phase`, exitCodes.failure);
  return details;
}

/** The files of the smoke sample among a competition's files (they lie under the kit's paths). */
export function smokeFiles(details: CompetitionDetails, kit: LocalTestKit): RemoteFile[] {
  const roots = [kit.smoke.features, kit.smoke.labels, kit.smoke.submissionFormat].map((p) => p.replace(/\/+$/, ''));
  return details.files.filter((f) => roots.some((r) => f.path === r || f.path.startsWith(`${r}/`)));
}
