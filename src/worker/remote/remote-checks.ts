import { type CheckLease, maxCheckAttempts } from '../../db/determinism-checks-repo.js';
import type { DeterminismCheckRow, DeterminismState, SubmissionRow } from '../../db/schema.js';
import type { DeterminismResult } from '../../domain/determinism.js';
import type { WorkerChecks } from '../worker-deps.js';
import type { WorkerApi } from './worker-api.js';

/**
 * Hosts' determinism checks for an outbound-only worker: each operation is one call of the worker
 * API (routes/worker-check-routes.ts), where the server runs the same DeterminismChecksRepo method
 * under the worker's lease. A write the lease no longer allows is `false`, as from the repository.
 */
export class RemoteChecks implements WorkerChecks {
  /** The submission each claimed check runs again, as the claim answered it. */
  readonly #submissions = new Map<string, SubmissionRow>();
  readonly repo: WorkerChecks['repo'];

  constructor(
    private readonly api: WorkerApi,
    /** Slugs of the token's competitions this worker serves; undefined: all of them. */
    competitions?: readonly string[],
  ) {
    const lease = (id: string, op: string, l: CheckLease, extra: Record<string, unknown>) =>
      api.call(`/checks/${encodeURIComponent(id)}/${op}`, { method: 'POST', json: { workerId: l.owner, attempt: l.attempt, ...extra }, accept: [409] }).then((res) => res.status !== 409);
    this.repo = {
      claim: async (owner: string, leaseMs: number) => {
        const { check, submission } = await api.json<{ check: DeterminismCheckRow | null; submission: SubmissionRow | null }>('/checks/claim', {
          method: 'POST', json: { workerId: owner, leaseMs, ...(competitions ? { competitions } : {}) },
        });
        if (!check) return undefined;
        // A check past its attempts ends without reading its submission: nothing to keep for it.
        if (submission && check.attempts <= maxCheckAttempts) this.#submissions.set(submission.id, submission);
        return check;
      },
      renew: (id: string, l: CheckLease, leaseMs: number) => lease(id, 'renew', l, { leaseMs }),
      finish: (id: string, l: CheckLease, status: Exclude<DeterminismState, 'queued' | 'running'>, reason: string, result: DeterminismResult | null) => lease(id, 'finish', l, { status, reason, result }),
      requeue: (id: string, l: CheckLease, reason: string | null) => lease(id, 'requeue', l, { reason }),
    };
  }

  /** @remarks Known from the claim (a check is attempted right after it); read once, then forgotten. */
  async submission(id: string): Promise<SubmissionRow | undefined> {
    const s = this.#submissions.get(id);
    this.#submissions.delete(id);
    return s;
  }
}
