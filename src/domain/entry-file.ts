import { splitCommand } from './split-command.js';

/** Shells whose `-c SCRIPT` is itself a command line. */
const shells = new Set(['sh', 'bash', 'dash', 'zsh', '/bin/sh', '/bin/bash', '/usr/bin/sh', '/usr/bin/bash', '/bin/dash']);
/** Python options that take a value (`-X dev`, `-W ignore`), so the value is not taken for the script. */
const pythonValueOptions = new Set(['-X', '-W', '-Q']);
const assignment = /^[A-Za-z_][A-Za-z0-9_]*=/;

function baseName(cmd: string): string {
  return cmd.slice(cmd.lastIndexOf('/') + 1);
}

/**
 * The file an entry point runs, which must be at the top of a submission: the first argument
 * after the interpreter (`python main.py` → main.py), or the command itself when it is a path in
 * the submission (`./run.sh` → run.sh); undefined when neither names a file. Pure.
 * @remarks `env [-i] [-u NAME] A=B … CMD` is looked through to CMD, and `sh -c "SCRIPT"` to the
 * script's first command; `python -m MODULE` and `python -c CODE` name no file. The upload check
 * of the API and `holdout pack` both use it.
 */
export function entryFile(entrypoint: readonly string[]): string | undefined {
  let argv = [...entrypoint];
  for (let depth = 0; depth < 4; depth++) {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return undefined;
    if (baseName(cmd) === 'env') {
      let i = 0;
      while (i < args.length && (args[i]!.startsWith('-') || assignment.test(args[i]!))) i += args[i] === '-u' || args[i] === '-C' ? 2 : 1;
      argv = args.slice(i);
      continue;
    }
    if (shells.has(cmd)) {
      const c = args.indexOf('-c');
      if (c < 0) break;
      // Only the script's first simple command: `cd x && python main.py` names no file at the top.
      const first = (args[c + 1] ?? '').split(/&&|\|\||;|\|/)[0] ?? '';
      const split = splitCommand(first);
      if (!split.ok) return undefined;
      argv = split.argv;
      continue;
    }
    break;
  }
  const [cmd, ...args] = argv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-m' || arg === '-c') return undefined;
    if (pythonValueOptions.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg.replace(/^\.\//, '');
  }
  return cmd?.startsWith('./') ? cmd.slice(2) : undefined;
}

/** Characters a shell word may hold without quotes. */
const plainWord = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * An argv as one command line that `splitCommand` reads back into the same argv: words with
 * blanks or shell characters single-quoted (`sh -c 'python main.py'`), so what a participant
 * reads is what runs. Pure.
 */
export function formatCommand(argv: readonly string[]): string {
  return argv.map((word) => (word !== '' && plainWord.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}
