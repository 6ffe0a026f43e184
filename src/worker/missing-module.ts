import type { CompetitionConfig } from '../domain/competition.js';

/** The module a Python traceback says is missing (`ModuleNotFoundError: No module named 'lightgbm.sklearn'` → lightgbm). Pure. */
export function missingModule(logTail: string): string | undefined {
  const matches = [...logTail.matchAll(/ModuleNotFoundError: No module named '([A-Za-z0-9_.]{1,100})'/g)];
  return matches.at(-1)?.[1]?.split('.')[0];
}

/** The Debian package of a Python module by Debian's naming rule (lightgbm → python3-lightgbm, sklearn → python3-sklearn). */
function debianPackage(module: string): string {
  return `python3-${module.toLowerCase().replace(/_/g, '-')}`;
}

/**
 * The participant-facing explanation of a run that died of a missing Python module.
 * @param showsLog - whether the participant reads this run's log. Where it is withheld, a module
 * name is shown only if it is one of the packages the competition lists (public), since a name a
 * submission chose to import could carry test data out.
 */
export function explainMissingModule(module: string, config: Pick<CompetitionConfig, 'runtime' | 'packages'>, showsLog: boolean): string {
  const runtime = config.runtime === 'host' ? "this platform's Python" : `the runtime "${config.runtime}"`;
  const listed = (config.packages ?? []).find((p) => p === debianPackage(module) || p === `python3-${module}`);
  if (listed) {
    return `your code imports the Python module "${module}", which ${runtime} does not have yet: the competition lists the package ${listed}, and the host has still to build it into the runtime (holdout runtime build). Until then, submit without it or ask the host`;
  }
  if (!showsLog) return `your code imports a Python module that ${runtime} does not have (its name is in the log, which this competition withholds for this run); test with a smoke run, and use only the runtime's packages`;
  return `your code imports the Python module "${module}", which ${runtime} does not have: use only the runtime's packages, or ask the host to add it (Debian package ${debianPackage(module)}) to the runtime`;
}
