import type { Command } from 'commander';
import { formatBytes } from '../domain/format-bytes.js';

/** Sizes are said as everywhere else (domain/format-bytes). */
export { formatBytes };

/** Options every command accepts (declared on the program). */
export interface GlobalOptions {
  json?: boolean;
  server?: string;
}


/**
 * Columns padded to their widest cell. Pure. `paint` colours a body cell after padding, so
 * colour codes never count as width.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], paint?: (padded: string, cell: string, column: number) => string): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0));
  const trim = (cells: string[]) => cells.join('  ').trimEnd();
  const body = (cells: readonly string[]) => {
    const padded = pad(cells);
    // The last cell is not padded (the line is trimmed), so its colour ends with its text.
    return trim(padded.map((p, i) => (paint ? paint(i === padded.length - 1 ? p.trimEnd() : p, cells[i] ?? '', i) : p)));
  };
  return [trim(pad(headers)), ...rows.map(body)].join('\n');
}

/** A progress bar on stderr, drawn only when stderr is a terminal; otherwise silent. */
export class ProgressBar {
  #last = 0;
  readonly #tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.#tty = stream.isTTY === true;
  }

  /** Redraws at most ten times a second. */
  update(done: number): void {
    if (!this.#tty) return;
    const now = Date.now();
    if (now - this.#last < 100 && done < this.total) return;
    this.#last = now;
    const width = 30;
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(fraction * width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    this.stream.write(`\r${this.label} [${bar}] ${Math.round(fraction * 100)}% ${formatBytes(done)}/${formatBytes(this.total)}`);
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.#tty) this.stream.write('\n');
  }
}

/**
 * Where a command's output goes. Results go to stdout: text for people, or one JSON document with
 * `--json`. Notes, progress and live logs go to stderr, so stdout stays parseable.
 */
export class Output {
  constructor(readonly json: boolean) {}

  /** A result: `value` as JSON with --json, else the human text. */
  result(value: unknown, human: string | readonly string[]): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const text = typeof human === 'string' ? human : human.join('\n');
      if (text !== '') process.stdout.write(`${text}\n`);
    }
  }

  /** A note for people, on stderr (shown in both modes). */
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }

  progress(label: string, total: number): ProgressBar {
    return new ProgressBar(label, total);
  }
}

/** The global options of a command, wherever on the line they were given. */
export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** The output of a command, per its --json flag. */
export function outputOf(cmd: Command): Output {
  return new Output(globalOptions(cmd).json === true);
}
