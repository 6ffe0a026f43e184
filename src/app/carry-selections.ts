import type { Kysely } from 'kysely';
import type { CompetitionsRepo, StoredCompetition } from '../db/competitions-repo.js';
import { type PhaseCarry, PhaseCarriesRepo } from '../db/phase-carries-repo.js';
import type { Database } from '../db/schema.js';
import { finalSelectionsOf } from '../domain/competition.js';
import { carryRefusal, currentPhase, previousPhase } from '../domain/phases.js';

/** Why a carry cannot be done now; the server answers it with a 409. */
export class CarryRefusedError extends Error {}

/**
 * Carries the previous phase's selections into phase `phase` of `c` (see `PhaseCarriesRepo.carry`
 * for the rule): once; a second call returns the first's record with `fresh: false`.
 * @throws CarryRefusedError when the phase does not carry selections, is the first, or the phase
 * before it has not ended (its selections can still change).
 */
export async function carrySelections(db: Kysely<Database>, c: StoredCompetition, phase: string, now = new Date()): Promise<PhaseCarry> {
  const refusal = carryRefusal(c.config.phases, phase, now);
  if (refusal !== undefined) throw new CarryRefusedError(refusal);
  const from = previousPhase(c.config.phases, phase);
  if (from === undefined) throw new Error(`phase "${phase}" has no phase before it`);
  return new PhaseCarriesRepo(db).carry({
    competitionId: c.id,
    fromPhase: from.name,
    toPhase: phase,
    finalSelections: finalSelectionsOf(c.config),
    higherIsBetter: c.config.scoring.primary.higherIsBetter,
    now,
  });
}

/**
 * Carries selections into every open phase that says `carry_selections` and has not carried yet:
 * what makes a phase's carry happen when it opens. Idempotent; any number of servers may run it.
 * @returns the carries this call did.
 */
export async function carryOpenedPhases(db: Kysely<Database>, competitions: Pick<CompetitionsRepo, 'list'>, now = new Date()): Promise<Array<PhaseCarry & { slug: string }>> {
  const done: Array<PhaseCarry & { slug: string }> = [];
  const carries = new PhaseCarriesRepo(db);
  for (const c of await competitions.list()) {
    const open = currentPhase(c.config.phases, now);
    if (open === undefined || carryRefusal(c.config.phases, open.name, now) !== undefined) continue;
    if (await carries.get(c.id, open.name)) continue;
    const carry = await carrySelections(db, c, open.name, now);
    if (carry.fresh) done.push({ ...carry, slug: c.slug });
  }
  return done;
}
