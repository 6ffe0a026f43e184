import type { CompetitionConfig, Phase, RuntimeChoice } from './competition.js';

/** The phase open at `now`, if any. Phases may not overlap (the bundle validator checks it). */
export function currentPhase(phases: readonly Phase[], now: Date): Phase | undefined {
  return phases.find((p) => p.start <= now && (p.end === undefined || now < p.end));
}

/** The UTC calendar day a quota is counted on, as YYYY-MM-DD. */
export function quotaDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The start of the compute-budget week holding `now`: Monday 00:00 UTC. */
export function budgetWeekStart(now: Date): Date {
  const day = (now.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - day));
}

/**
 * The configuration a submission of phase `name` runs and is scored with: the competition's,
 * with what the phase owns (data, limits, runtime, logs, entry point, predictions file, private
 * part) in its place. An unknown name (a phase since removed) gets the competition's own settings. Pure.
 */
export function phaseConfig(config: CompetitionConfig, name: string): CompetitionConfig {
  const own = config.phases.find((p) => p.name === name)?.own;
  if (own === undefined) return config;
  return {
    ...(own.runtime ? withRuntime(config, own.runtime) : config),
    ...(own.data ? { data: own.data } : {}),
    ...(own.limits ? { limits: own.limits } : {}),
    ...(own.logs ? { logs: own.logs } : {}),
    ...(own.entrypoint ? { entrypoint: own.entrypoint } : {}),
    ...(own.predictionsFile ? { predictionsFile: own.predictionsFile } : {}),
    ...(own.private === false ? { scoring: { ...config.scoring, split: { kind: 'whole' } } } : {}),
  };
}

/**
 * `config` running in `choice`: all three runtime fields are replaced, so that a phase on "host"
 * never inherits the competition's image ID or pull reference.
 */
function withRuntime(config: CompetitionConfig, choice: RuntimeChoice): CompetitionConfig {
  const { runtimeDigest: _digest, runtimeImage: _image, ...rest } = config;
  return { ...rest, runtime: choice.name, ...(choice.digest ? { runtimeDigest: choice.digest } : {}), ...(choice.image ? { runtimeImage: choice.image } : {}) };
}

/** Whether phase `name` takes result files rather than code. */
export function takesResults(config: Pick<CompetitionConfig, 'phases'>, name: string): boolean {
  return config.phases.find((p) => p.name === name)?.submission === 'results';
}

/** The phase that comes before phase `name` in time (the latest to start before it), if any. Pure. */
export function previousPhase(phases: readonly Phase[], name: string): Phase | undefined {
  const phase = phases.find((p) => p.name === name);
  if (phase === undefined) return undefined;
  return phases.filter((p) => p.start < phase.start).sort((a, b) => b.start.getTime() - a.start.getTime())[0];
}

/**
 * Why phase `name` cannot carry the previous phase's selections now, or undefined when it can:
 * it must say `carry_selections`, and the phase before it must have ended (its selections are
 * final then). Pure.
 */
export function carryRefusal(phases: readonly Phase[], name: string, now: Date): string | undefined {
  const phase = phases.find((p) => p.name === name);
  if (phase === undefined) return `there is no phase "${name}"; the phases are ${phases.map((p) => `"${p.name}"`).join(', ')}`;
  if (!phase.carrySelections) return `phase "${name}" does not carry selections (set carry_selections: true on it in competition.yaml)`;
  const before = previousPhase(phases, name);
  if (before === undefined) return `phase "${name}" is the first phase: there is nothing to carry`;
  if (before.end === undefined || before.end > now) return `phase "${before.name}" is still open${before.end ? ` until ${before.end.toISOString()}` : ''}: its selections can still change`;
  return undefined;
}
