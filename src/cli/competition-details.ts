import type { LocalTestKit } from '../app/local-test.js';
import type { Limits } from '../domain/limits.js';
import type { ApiClient } from './api-client.js';

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
  submissionFormat?: { idColumn: string; columns: string[]; placeholders: string[] };
  metric: { metric: string; higherIsBetter: boolean };
  bundleDigest: string;
  files: RemoteFile[];
  phases: { name: string; start: string; end?: string; dailyQuota: number; state?: string }[];
  /** What the server accepts in an upload; absent from servers older than this field. */
  upload?: { maxZipBytes: number; maxUnpackedBytes: number; maxFiles: number };
  /** What a local smoke test needs; null when the competition has no smoke sample. */
  localTest?: LocalTestKit | null;
}

export function competitionPath(slug: string): string {
  return `/api/competitions/${encodeURIComponent(slug)}`;
}

export function fetchCompetition(client: ApiClient, slug: string): Promise<CompetitionDetails> {
  return client.get<CompetitionDetails>(competitionPath(slug));
}

/** The files of the smoke sample among a competition's files (they lie under the kit's paths). */
export function smokeFiles(details: CompetitionDetails, kit: LocalTestKit): RemoteFile[] {
  const roots = [kit.smoke.features, kit.smoke.labels, kit.smoke.submissionFormat].map((p) => p.replace(/\/+$/, ''));
  return details.files.filter((f) => roots.some((r) => f.path === r || f.path.startsWith(`${r}/`)));
}
