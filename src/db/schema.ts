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
  /** Global role; a host may create competitions and hosts those listed in competition_hosts. */
  role: 'admin' | 'host' | 'participant';
  created_at: string;
  /** Where run-ended events of this account's runs are POSTed; null: none. */
  webhook_url: Generated<string | null>;
  /** Signs the bodies sent to this account's hooks (and competition hooks it set); made on first use. */
  webhook_secret: Generated<string | null>;
  /** Where notification mails go; null: none given. */
  email: Generated<string | null>;
  /** 1: mail this account when its runs end (and, as a host, alerts of its competitions). */
  email_notifications: Generated<number>;
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

/** A token of an outbound-only worker, scoped to the queues of some competitions. */
export interface WorkerTokensTable {
  id: string;
  /** sha256 of the token; shown once, never stored. */
  token_hash: string;
  name: string;
  /** The host (or admin) who created it: a host of every competition it lists. */
  created_by: string;
  /** JSON array of competition ids whose queues it serves. */
  competition_ids: string;
  created_at: string;
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
  /** `DataImages` as JSON, or null when the competition was installed without images. */
  data_images_json: Generated<string | null>;
  /*
   * What one run of this competition needs, copied out of the configuration so that a worker's
   * claim can skip in SQL what it cannot run.
   */
  need_cpus: Generated<number>;
  need_memory_bytes: Generated<number>;
  need_gpus: Generated<number>;
  runtime: Generated<string>;
  /** 1: the competition runs a host's harness, which not every executor can mount (claim-fit). */
  needs_harness: Generated<number>;
  /** The configuration's `scheduling`, copied out for the claim's fair-share order and caps (null: no cap). */
  sched_weight: Generated<number>;
  max_running: Generated<number | null>;
  max_running_per_entrant: Generated<number | null>;
  /** Where the hosts want run-ended events and alerts of this competition; signed with `host_webhook_by`'s secret. */
  host_webhook_url: Generated<string | null>;
  host_webhook_by: Generated<string | null>;
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
  /** The runtime the code last ran in, and its digest (null for "host"); null before a run. */
  runtime: Generated<string | null>;
  runtime_digest: Generated<string | null>;
  /** The image reference the runtime was pulled from (null for "host"). */
  runtime_image: Generated<string | null>;
  /** What the run used (see ResourceUsage); null where it was not measured. bigint: a string on PostgreSQL. */
  cpu_ms: Generated<number | string | null>;
  peak_memory_bytes: Generated<number | string | null>;
  gpu_ms: Generated<number | string | null>;
  /** 1 when gpu_ms is wall time × GPUs assigned rather than a driver counter. */
  gpu_estimated: Generated<number>;
  peak_gpu_memory_bytes: Generated<number | string | null>;
  attempts: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** (competition, user, phase, quota_day, quota_slot) is unique: the quota holds under races. */
  quota_day: string;
  quota_slot: number;
  /** "team:<id>" when it counts against a team's shared daily quota; null: its user's own. */
  quota_owner: string | null;
  /** 1 when chosen by its participant (or team) for the final ranking. */
  selected: Generated<number>;
  /** 1 while a host's re-score is queued: score the kept predictions, do not run again. */
  rescore: Generated<number>;
  /** sha256 of submission.zip as uploaded ("sha256:<hex>"); null for rows from before it was recorded. */
  zip_sha256: Generated<string | null>;
  /** Test features and labels, bundle (scoring program included) and Holdout scoring version of the last scoring. */
  test_data_digest: Generated<string | null>;
  bundle_digest: Generated<string | null>;
  scorer_version: Generated<string | null>;
  /** 1 for a host's re-run or re-score: claimed after the participants' own runs of its competition. */
  background: Generated<number>;
  /** The submission of the previous phase this one re-runs (carried into its phase); null for an upload. */
  carried_from: Generated<string | null>;
}

/** That a phase's carry of the previous phase's selections was done: once per phase, never again. */
export interface PhaseCarriesTable {
  competition_id: string;
  phase: string;
  /** The phase whose selections were carried. */
  from_phase: string;
  /** How many submissions were carried. */
  carried: number;
  carried_at: string;
}

/**
 * What one run of a phase needs: its own limits and runtime, or the competition's (`phaseConfig`),
 * written with the competition at every install so that a claim filters on the phase's needs.
 */
export interface PhaseNeedsTable {
  competition_id: string;
  phase: string;
  need_cpus: number;
  need_memory_bytes: number;
  need_gpus: number;
  runtime: string;
}

export interface TeamsTable {
  id: string;
  competition_id: string;
  name: string;
  /** Secret part of the invite link. */
  invite_code: string;
  created_by: string;
  created_at: string;
}

export interface TeamMembersTable {
  team_id: string;
  competition_id: string;
  user_id: string;
  joined_at: string;
}

export interface CompetitionHostsTable {
  competition_id: string;
  user_id: string;
  created_at: string;
}

export interface RuleAcceptancesTable {
  competition_id: string;
  user_id: string;
  accepted_at: string;
}

export interface DisqualificationsTable {
  competition_id: string;
  user_id: string;
  reason: string;
  by_user_id: string;
  created_at: string;
}

/** One failed sign-in, counted against a username and a client address ("u:…", "a:…"). */
export interface LoginFailuresTable {
  key: string;
  at: string;
}

/** A resumable upload in progress (tus); its parts are blobs under `uploads/<id>/`. */
export interface UploadsTable {
  id: string;
  user_id: string;
  /** null for a bundle: its competition is known only once it is installed. */
  competition_id: string | null;
  /** What the upload becomes: a full run or a smoke test, or a competition bundle ('bundle'). */
  kind: string;
  /** Bytes announced at creation (Upload-Length), checked against the limit before any is stored. */
  length: number;
  /** Bytes stored so far: the sum of the parts (Upload-Offset). */
  received: number;
  /** JSON array of `{ key, bytes }`, in order. */
  parts: string;
  /** JSON object of the Upload-Metadata the client sent (filename, sha256). */
  metadata: string;
  created_at: string;
  /** Unfinished uploads past this time are removed with their parts. */
  expires_at: string;
  /** 0 while receiving; 2 while a bundle is being checked and installed; 1 once the submission (its id is the upload's id) or the competition exists. */
  completed: Generated<number>;
  /** JSON of what a completed bundle upload became (`{ slug, title, created }`); null otherwise. */
  result: string | null;
}

/** A worker process, registered while it runs; one whose `seen_at` is old has been lost. */
export interface WorkersTable {
  id: string;
  hostname: string;
  started_at: string;
  /** Last heartbeat. */
  seen_at: string;
  /** Runs at once. */
  capacity: number;
  cpus: Generated<number>;
  memory_bytes: Generated<number>;
  gpus: Generated<number>;
  /** JSON array of executor names. */
  executors: Generated<string>;
  /** JSON array of runtime names, or null: any runtime its executor knows. */
  runtimes: string | null;
  /** Runs in progress at the last heartbeat. */
  running: Generated<number>;
  /** 1 once it has stopped claiming to shut down. */
  draining: Generated<number>;
}

/** How an attempt ended: a final status, or why the submission went back to the queue. */
export const attemptOutcomes = ['scored', 'failed', 'cancelled', 'requeued', 'handed_back', 'lost'] as const;
export type AttemptOutcome = (typeof attemptOutcomes)[number];

/**
 * One claim of a submission by a worker, kept as an audit trail: what happened to each attempt
 * (and that exactly one of them recorded the submission's final status).
 */
export interface SubmissionAttemptsTable {
  id: string;
  submission_id: string;
  /** The submission's `attempts` counter after this claim. */
  attempt: number;
  worker_id: string;
  claimed_at: string;
  ended_at: string | null;
  /** Null while the attempt runs; `lost` once another worker took over an expired lease. */
  outcome: AttemptOutcome | null;
  message: string | null;
}

/** States of a determinism check; the last three are final. */
export const determinismStates = ['queued', 'running', 'identical', 'different', 'failed'] as const;
export type DeterminismState = (typeof determinismStates)[number];

/** A host's request to run a scored submission again and compare (see src/worker/determinism-check.ts). */
export interface DeterminismChecksTable {
  id: string;
  submission_id: string;
  competition_id: string;
  requested_by: string;
  status: DeterminismState;
  /** Why it ended as it did, in words (for every final state). */
  reason: string | null;
  /** Numbers are equal when |a − b| ≤ tolerance × max(1, |a|, |b|). */
  tolerance: number;
  /** The worker whose attempt scored the submission: the check avoids it while another is alive. */
  original_worker_id: string | null;
  /** The worker that ran the check (its last attempt). */
  worker_id: string | null;
  /** 1 when it ran on the original worker because no other was available. */
  same_worker: number | null;
  attempts: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** DeterminismResult as JSON, once final. */
  result_json: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** What the outbox sends: a run ended, or an alert for a competition's hosts. */
export type NotificationKind = 'run_ended' | 'alert';
/** `webhook`: POST to `target` (a URL); `email`: a mail to `target` (an address). The in-app notice needs no outbox. */
export type NotificationChannel = 'webhook' | 'email';

/** One delivery of one event to one place; written where the event happens, sent later (see src/notifications). */
export interface NotificationOutboxTable {
  id: string;
  kind: NotificationKind;
  /** Whose delivery it is (a participant's own hook), shown on their account page. */
  user_id: string | null;
  /** The competition's hosts see deliveries of its hook; alerts name it too. */
  competition_id: string | null;
  submission_id: string | null;
  /** Alerts of one cause share a key, so that a scan raises each at most once per window. */
  dedupe_key: string | null;
  channel: NotificationChannel;
  /** The URL, or the e-mail address. */
  target: string | null;
  /** The account whose secret signs a webhook body. */
  signer_id: string | null;
  /** The JSON event, exactly as sent. */
  body: string;
  status: 'pending' | 'sending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  /** When it is due (next try), or until when a sender holds it ('sending'). */
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface Database {
  notification_outbox: NotificationOutboxTable;
  determinism_checks: DeterminismChecksTable;
  users: UsersTable;
  tokens: TokensTable;
  competitions: CompetitionsTable;
  submissions: SubmissionsTable;
  workers: WorkersTable;
  submission_attempts: SubmissionAttemptsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  competition_hosts: CompetitionHostsTable;
  rule_acceptances: RuleAcceptancesTable;
  disqualifications: DisqualificationsTable;
  login_failures: LoginFailuresTable;
  uploads: UploadsTable;
  worker_tokens: WorkerTokensTable;
  phase_carries: PhaseCarriesTable;
  phase_needs: PhaseNeedsTable;
}

export type UserRow = Selectable<UsersTable>;
export type CompetitionRow = Selectable<CompetitionsTable>;
export type SubmissionRow = Selectable<SubmissionsTable>;
export type NewSubmission = Insertable<SubmissionsTable>;
export type WorkerRow = Selectable<WorkersTable>;
export type UploadRow = Selectable<UploadsTable>;
export type AttemptRow = Selectable<SubmissionAttemptsTable>;
export type TeamRow = Selectable<TeamsTable>;
export type DeterminismCheckRow = Selectable<DeterminismChecksTable>;
export type NotificationRow = Selectable<NotificationOutboxTable>;
