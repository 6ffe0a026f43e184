/**
 * Parses one CSV field as a finite number, the way a numeric pandas column would accept it.
 *
 * @returns the number, or `NaN` for anything else: empty or blank text, `nan`, `inf`, `Infinity`,
 * hexadecimal/octal/binary literals (which `Number()` accepts but pandas does not), trailing junk.
 * @remarks Surrounding whitespace is allowed, as pandas allows it.
 */
export function parseNumber(text: string): number {
  const first = text.charCodeAt(0);
  // Fast path: a digit, sign or dot opens every number we accept; it also rules out '' and 'Infinity'.
  if ((first >= 48 && first <= 57) || first === 45 || first === 43 || first === 46) {
    if (first === 48 && text.length > 1) {
      const second = text.charCodeAt(1) | 32;
      if (second === 120 || second === 111 || second === 98) return NaN; // 0x 0o 0b
    }
    const value = text.length <= 16 ? parsePlainDecimal(text) : +text;
    return value - value === 0 ? value : NaN; // false for NaN and ±Infinity
  }
  if (first === 32 || first === 9 || first === 13 || first === 10) {
    const trimmed = text.trim();
    return trimmed.length === text.length || trimmed.length === 0 ? NaN : parseNumber(trimmed);
  }
  return NaN;
}

/**
 * `[-]digits[.digits]` with at most 15 digits, else `+text`. A mantissa below 2^53 divided by an
 * exact power of ten is correctly rounded (Clinger's fast path), so the result equals `Number(text)`,
 * in half the time; predictions files are mostly such numbers.
 */
function parsePlainDecimal(text: string): number {
  let at = text.charCodeAt(0) === 45 ? 1 : 0;
  let mantissa = 0;
  let scale = 1;
  let digits = 0;
  let dot = false;
  for (; at < text.length; at++) {
    const digit = text.charCodeAt(at) - 48;
    if (digit >= 0 && digit <= 9) {
      mantissa = mantissa * 10 + digit;
      digits++;
      if (dot) scale *= 10;
    } else if (digit === -2 && !dot) {
      dot = true;
    } else {
      return +text;
    }
  }
  if (digits === 0 || digits > 15) return +text;
  const value = mantissa / scale;
  return text.charCodeAt(0) === 45 ? -value : value;
}

/** Why `text` is not a number, for a message that ends "...; expected a number". */
export function describeNotANumber(text: string): string {
  if (text.trim().length === 0) return 'is empty';
  if (/^\s*[+-]?(nan|inf|infinity)\s*$/i.test(text)) return `${JSON.stringify(text)} is not a finite number`;
  return `${JSON.stringify(clip(text))} is not a number`;
}

/** Shortens hostile text before it goes into a message. */
export function clip(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
