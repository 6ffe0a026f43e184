import { createInterface } from 'node:readline/promises';
import { CliError, exitCodes } from './exit-codes.js';

/** Asks a question on the terminal (prompt on stderr) and returns the trimmed answer. */
export async function ask(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError(`no terminal to ask for it: ${question.replace(/:\s*$/, '')} must be given as an option`, exitCodes.usage);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** Asks for a secret on the terminal without echoing it. Ctrl+C exits with 130 like a shell. */
export function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(new CliError('no terminal to ask for the password; pipe it in with --password-stdin', exitCodes.usage));
  }
  // Echo goes off before the prompt appears, so nothing typed after it is ever shown.
  stdin.setRawMode(true);
  process.stderr.write(question);
  return new Promise((resolve) => {
    let secret = '';
    stdin.resume();
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(secret);
          return;
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          process.stderr.write('\n');
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') secret = secret.slice(0, -1);
        else secret += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** All of stdin as text, without the one trailing newline `echo` adds (for --password-stdin). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
