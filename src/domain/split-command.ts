/** Result of {@link splitCommand}. */
export type SplitCommandResult = { ok: true; argv: string[] } | { ok: false; message: string };

/**
 * Splits a command line into argv the way a POSIX shell splits words, without any expansion:
 * `python "my script.py" --name 'a b'` → `["python", "my script.py", "--name", "a b"]`.
 * @remarks Single quotes keep everything literally; inside double quotes a backslash escapes only
 * `"` and `\`; outside quotes a backslash escapes the next character. No variables, globs, pipes
 * or redirections: the entry point is executed directly, never through a shell.
 */
export function splitCommand(line: string): SplitCommandResult {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return { ok: false, message: 'ends with a lone backslash' };
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return { ok: false, message: `has an unterminated ${quote === "'" ? 'single' : 'double'} quote` };
  if (inWord) argv.push(word);
  if (argv.length === 0) return { ok: false, message: 'is empty' };
  return { ok: true, argv };
}
