/** The public API, as the app uses it: same-origin cookies plus the CSRF header on writes. */

export interface User { id: string; username: string; role: 'admin' | 'host' | 'participant'; createdAt: string }
export interface Phase { name: string; start: string; end?: string; dailyQuota: number; state: 'past' | 'open' | 'upcoming'; carrySelections?: boolean }
export interface BudgetMeasure { usedMs: number; limitMs: number; leftMs: number }
export interface Quota {
  phase: string; limit: number; full: { used: number; left: number }; smoke: { used: number; left: number };
  /** The day's allowance for runs that failed through their code, when the phase gives one. */
  failed: { limit: number; used: number } | null;
  /** This week's compute budget (CPU and GPU time), when the phase sets one. */
  budget: { cpu: BudgetMeasure | null; gpu: BudgetMeasure | null; resetsAt: string } | null;
}
export interface Competition {
  slug: string; title: string; runtime: string; openPhase: string | null; state: 'open' | 'upcoming' | 'finished';
  description: string; entrypoint: string; limitsInWords: string[]; predictionsFile: string;
  limits: { wallTimeMs: number; memoryBytes: number; cpus: number; gpus: number; outputBytes: number };
  metric: { metric: string; higherIsBetter: boolean }; extraMetrics: { metric: string }[];
  phases: Phase[]; hasSmoke: boolean; finalSelections: number; files: { path: string; bytes: number }[];
  privateRevealed: boolean; rules: string; updatedAt: string;
  upload: { maxZipBytes: number; maxUnpackedBytes: number; maxFiles: number };
  /** The runtime image to pull for a local test, pinned; null for the host runtime. Of `runsPhase`, as runtime, entrypoint and limits are. */
  runtimeImage: { reference: string; digest: string | null } | null;
  /** The phase whose run settings these are (the open one); null when none is open (the competition's own). */
  runsPhase: string | null;
  me: { rulesAcceptedAt: string | null; isHost: boolean; team: { id: string; name: string } | null; disqualified: string | null; quota: Quota | null } | null;
}
export type CompetitionSummary = Pick<Competition, 'slug' | 'title' | 'runtime' | 'openPhase' | 'state'>;
export interface Submission {
  id: string; kind: 'full' | 'smoke'; phase: string; status: string; reason: string | null; message: string | null; advice: string | null;
  createdAt: string; startedAt: string | null; finishedAt: string | null; runMs: number | null; exitCode: number | null; zipBytes: number;
  publicScore: number | null; publicScores: Record<string, number> | null; privateScore?: number | null; privateScores?: Record<string, number> | null; logBytes: number | null;
  logTruncated: boolean; attempts: number; selected: boolean; username?: string; team?: string | null;
  runtime: { name: string; digest: string | null } | null;
  /** What the run used; a field is absent where it was not measured; null before it ran. */
  usage: Usage | null;
  /** What the score traces to; a field is null where it was not recorded (older rows, or not scored yet). */
  provenance: { zipSha256: string | null; runtimeDigest: string | null; testDataDigest: string | null; bundleDigest: string | null; scorerVersion: string | null };
  /** Only from GET /submissions/:id. */
  competition?: { slug: string; title: string };
  /** Only from GET /submissions/:id: how much of the log this reader may see. */
  logs?: 'full' | 'tail' | 'reason-only';
}
export interface Usage { wallMs: number; cpuMs?: number; peakMemoryBytes?: number; gpuMs?: number; gpuEstimated?: boolean; peakGpuMemoryBytes?: number }
export type ResourceColumn = 'wall_time' | 'cpu_time' | 'peak_memory' | 'gpu_time' | 'peak_gpu_memory';
export interface BoardRow { rank: number; sharedRank: number; publicRank?: number | null; entrant: { kind: 'user' | 'team'; id: string; name: string }; submissionId: string; score: number; scores: Record<string, number>; entries: number; createdAt: string;
  /** The ranked entry's resource use, in the board's resource columns (null: not measured). */
  usage?: Partial<Record<keyof Usage, number | null>>; prizeEligible?: boolean; prizeIneligible?: string[] }
export interface Board { part: string; phase: string | null; metric: string; higherIsBetter: boolean; extraMetrics: string[]; resourceColumns: ResourceColumn[]; prizeLimits?: Partial<Usage>; rows: BoardRow[]; history: { name: string; points: { at: string; score: number }[] }[] }
export interface Team { id: string; name: string; inviteCode: string; members: { userId: string; username: string; joinedAt: string }[] }

/** An API error: its status, code and message in words (and, for a bundle, every problem). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}

export function csrfToken(): string {
  const m = /(?:^|;\s*)holdout_csrf=([^;]*)/.exec(document.cookie);
  return m?.[1] ? decodeURIComponent(m[1]) : '';
}

async function fail(res: Response): Promise<never> {
  const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string; details?: unknown };
  throw new ApiError(res.status, body.error ?? 'error', body.message ?? `${res.status} ${res.statusText}`, body.details);
}

/** Calls the API with JSON; resolves to the parsed body (undefined for 204). */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api${path}`, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (!res.ok) return fail(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export async function apiText(path: string): Promise<string> {
  const res = await fetch(`/api${path}`, { credentials: 'same-origin' });
  if (!res.ok) return fail(res);
  return res.text();
}

/** An upload in flight: its result, and a way to stop it (nothing is created on the server then). */
export interface Upload<T> {
  done: Promise<T>;
  cancel(): void;
}
