/** Exit status of the launcher when it could not join the run's cgroup. */
export const launcherJoinFailed = 125;

/**
 * The launcher, run by bash as root with an empty environment, in order:
 * 1. writes its own pid to each cgroup.procs file, so bwrap and everything below it start inside
 *    the run's cgroups (no window in which a child could escape them);
 * 2. closes every descriptor above 2 except the ones named: a descriptor the worker inherited
 *    without close-on-exec (database socket, log file) would otherwise reach the run, as neither
 *    Node, bwrap nor setpriv closes them (dash cannot close descriptors above 9, hence bash);
 * 3. disables core dumps (a core file is host data written by the host's core_pattern handler);
 * 4. execs bwrap, so the launcher costs one exec and no extra process stays around.
 */
const script = [
  'n=$1; shift',
  `while (( n-- > 0 )); do echo $$ > "$1" || exit ${launcherJoinFailed}; shift; done`,
  'keep=" $1 "; shift',
  'for f in /proc/$$/fd/*; do fd=${f##*/}; if (( fd > 2 )) && [[ $keep != *" $fd "* ]]; then exec {fd}>&-; fi; done',
  'ulimit -c 0',
  'exec "$@"',
].join('\n');

/** What `buildLauncherArgs` needs. */
export interface LauncherInput {
  /** cgroup.procs files to join, in order. */
  procsFiles: readonly string[];
  /** Descriptors (above 2) passed on purpose, e.g. bwrap's status and seccomp descriptors. */
  keepFds: readonly number[];
  /** The program to exec and its arguments, e.g. ["/usr/bin/bwrap", ...]. */
  argv: readonly string[];
}

/** Builds the launcher's command line: spawn `file` with `args` and an empty environment. Pure. */
export function buildLauncherArgs(input: LauncherInput): { file: string; args: string[] } {
  if (input.argv.length === 0) throw new Error('the launcher needs a program to exec');
  return {
    file: '/bin/bash',
    args: [
      '-c',
      script,
      'holdout-launcher',
      String(input.procsFiles.length),
      ...input.procsFiles,
      input.keepFds.join(' '),
      ...input.argv,
    ],
  };
}
