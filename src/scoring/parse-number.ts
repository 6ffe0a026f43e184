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

// Powers of ten that are exact doubles: 1e0 … 1e22.
const exactPowers = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);
const TWO_53 = 2 ** 53;

/**
 * {@link parseNumber} of the UTF-8 text in `bytes[start, end)`, without making a string for the
 * common `[-]digits[.digits]` form.
 * @remarks Clinger's fast path: a mantissa below 2^53 (accumulated exactly, since every partial
 * value is smaller) divided by an exact power of ten (at most 22 fraction digits) is correctly
 * rounded, so it equals `Number(text)`. That covers up to 15 significant digits always and most
 * 16-digit ones; longer plain decimals go through `Number` on their text, and anything else
 * (exponents, blanks, a plus sign, junk) through `parseNumber`.
 */
export function parseNumberBytes(bytes: Buffer, start: number, end: number): number {
  const negative = bytes[start] === 45;
  let at = negative ? start + 1 : start;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; at < end; at++) {
    const digit = (bytes[at] as number) - 48;
    if (digit >= 0 && digit <= 9) {
      mantissa = mantissa * 10 + digit;
      digits++;
    } else if (digit === -2 && fraction < 0) {
      fraction = digits;
    } else {
      break;
    }
  }
  if (at === end && digits > 0) {
    const places = fraction < 0 ? 0 : digits - fraction;
    if (mantissa < TWO_53 && places <= 22) {
      const value = mantissa / (exactPowers[places] as number);
      return negative ? -value : value;
    }
    // Only digits, a dot and a leading minus: what parseNumber would do, without its checks.
    const value = +bytes.toString('latin1', start, end);
    return value - value === 0 ? value : NaN;
  }
  return parseNumber(bytes.toString('utf8', start, end));
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
