/** What decides colour: the environment and whether the stream is a terminal. */
export interface ColourSetting {
  env: Readonly<Record<string, string | undefined>>;
  isTTY: boolean | undefined;
}

/**
 * Colour only on a terminal, never with NO_COLOR set (https://no-color.org), always with
 * FORCE_COLOR (other than "0") otherwise; TERM=dumb turns it off. Pure.
 */
export function wantsColour({ env, isTTY }: ColourSetting): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTTY === true && env.TERM !== 'dumb';
}

const codes = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;
export type Tint = keyof typeof codes;

/** Paints text for one stream; a no-op where colour is not wanted. */
export type Painter = (text: string, tint: Tint) => string;

export function painter(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>> = process.env): Painter {
  if (!wantsColour({ env, isTTY: stream.isTTY })) return (text) => text;
  return (text, tint) => (text === '' ? text : `\u001b[${codes[tint]}m${text}\u001b[0m`);
}

/** The tint of a submission status: scored green, failed red, still going yellow. */
export function statusTint(status: string): Tint | undefined {
  return status === 'scored' ? 'green' : status === 'failed' ? 'red' : status === 'cancelled' ? 'dim' : ['queued', 'running', 'scoring'].includes(status) ? 'yellow' : undefined;
}
