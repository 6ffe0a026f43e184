/**
 * The file an entry point runs, which must be at the top of a submission: the first argument
 * after the interpreter (`python main.py` → main.py), or the command itself when it is a path in
 * the submission (`./run.sh` → run.sh); undefined when neither names a file. Pure.
 * @remarks The upload check of the API and `holdout pack` both use it.
 */
export function entryFile(entrypoint: readonly string[]): string | undefined {
  const [cmd, ...args] = entrypoint;
  const arg = args.find((a) => !a.startsWith('-'));
  if (arg) return arg.replace(/^\.\//, '');
  return cmd?.startsWith('./') ? cmd.slice(2) : undefined;
}
