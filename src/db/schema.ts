import type { Generated, Insertable, Selectable } from 'kysely';
import type { FailureReason, SubmissionKind, SubmissionStatus } from '../domain/submission.js';

/*
 * Timestamps are ISO-8601 UTC strings of fixed width ("2026-01-02T03:04:05.678Z"): they sort and
 * compare as text in every dialect, so lease expiry needs no dialect-specific date functions.
 * JSON columns are text for the same reason.
 */

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  role: 'admin' | 'participant';
  created_at: string;
}

export interface TokensTable {
  id: string;
  user_id: string;
  /** sha256 of the token; the token itself is shown once and never stored. */
  token_hash: string;
  kind: 'session' | 'api';
  name: string;
  created_at: string;
  expires_at: string | null;
}

export interface CompetitionsTable {
  id: string;
  slug: string;
  title: string;
  /** CompetitionConfig as JSON (dates as ISO strings). */
  config_json: string;
  /** Blob prefix holding the bundle's files, content-addressed by `bundle_digest`. */
  bundle_key: string;
  bundle_digest: string;
  private_revealed: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface SubmissionsTable {
  id: string;
  competition_id: string;
  user_id: string;
  phase: string;
  kind: SubmissionKind;
  status: SubmissionStatus;
  reason: FailureReason | null;
  message: string | null;
  zip_key: string;
  zip_bytes: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  run_ms: number | null;
  exit_code: number | null;
  public_scores: string | null;
  private_scores: string | null;
  /** The primary metric, copied out of the JSON so the leaderboard can sort in SQL. */
  public_primary: number | null;
  private_primary: number | null;
  log_key: string | null;
  log_bytes: number | null;
  log_truncated: Generated<number>;
  attempts: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** (competition, user, phase, quota_day, quota_slot) is unique: the quota holds under races. */
  quota_day: string;
  quota_slot: number;
}

export interface WorkersTable {
  id: string;
  hostname: string;
  started_at: string;
  seen_at: string;
  capacity: number;
}

export interface Database {
  users: UsersTable;
  tokens: TokensTable;
  competitions: CompetitionsTable;
  submissions: SubmissionsTable;
  workers: WorkersTable;
}

export type UserRow = Selectable<UsersTable>;
export type CompetitionRow = Selectable<CompetitionsTable>;
export type SubmissionRow = Selectable<SubmissionsTable>;
export type NewSubmission = Insertable<SubmissionsTable>;
