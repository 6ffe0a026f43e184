import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Database } from './schema.js';

/** What a worker has for one more run; see `ClaimFilter`. */
export interface WorkerFit {
  /** Resources free on the worker now; undefined: no limit. */
  free?: { cpus: number; memoryBytes: number; gpus: number };
  /** Runtimes the worker can run; undefined: any. */
  runtimes?: readonly string[];
  /** false: the worker's executor cannot mount a host's harness (kubernetes); undefined: it can. */
  harness?: boolean;
}

/**
 * Queued submissions whose run fits `fit`: judged by the needs of the submission's phase (its own
 * limits and runtime, `phase_needs`), or by the competition's for a phase the competition no
 * longer has (such a submission runs with the competition's settings, see `phaseConfig`).
 * A worker that cannot mount a harness (`harness: false`) takes nothing of a competition with one.
 * @remarks A phase's needs may be below the competition's as well as above: a small worker may
 * take a phase that needs no GPU of a competition whose other phase needs one.
 */
export function fitsWorker(fit: WorkerFit) {
  const { free, runtimes, harness } = fit;
  return (eb: ExpressionBuilder<Database, 'submissions'>): Expression<SqlBool> => {
    const phaseRow = () =>
      eb
        .selectFrom('phase_needs')
        .select('phase_needs.phase')
        .whereRef('phase_needs.competition_id', '=', 'submissions.competition_id')
        .whereRef('phase_needs.phase', '=', 'submissions.phase');
    let phaseFits = phaseRow();
    if (free) {
      phaseFits = phaseFits
        .where('phase_needs.need_cpus', '<=', free.cpus)
        .where('phase_needs.need_memory_bytes', '<=', free.memoryBytes)
        .where('phase_needs.need_gpus', '<=', free.gpus);
    }
    if (runtimes) phaseFits = phaseFits.where('phase_needs.runtime', 'in', [...runtimes]);

    let competitionFits = eb.selectFrom('competitions').select('competitions.id');
    if (free) {
      competitionFits = competitionFits
        .where('competitions.need_cpus', '<=', free.cpus)
        .where('competitions.need_memory_bytes', '<=', free.memoryBytes)
        .where('competitions.need_gpus', '<=', free.gpus);
    }
    if (runtimes) competitionFits = competitionFits.where('competitions.runtime', 'in', [...runtimes]);

    const fits = eb.or([
      eb.exists(phaseFits),
      eb.and([eb.not(eb.exists(phaseRow())), eb('submissions.competition_id', 'in', competitionFits)]),
    ]);
    // A harness is the competition's, whatever the phase.
    if (harness !== false) return fits;
    return eb.and([fits, eb('submissions.competition_id', 'not in', eb.selectFrom('competitions').select('competitions.id').where('competitions.needs_harness', '=', 1))]);
  };
}
