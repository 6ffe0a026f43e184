const DIGIT_BITS = 11;
const RADIX = 1 << DIGIT_BITS;
const MASK = RADIX - 1;
/** Each pass sorts by 11 bits of a 64-bit key: [word (0 low, 1 high), shift]. */
const passes: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [0, 11], [0, 22],
  [1, 0], [1, 11], [1, 22],
];

/**
 * Sorts finite numbers ascending, in place, in the order `Float64Array.prototype.sort` gives
 * (-0 before +0), and returns `values`.
 * @remarks An LSD radix sort over the doubles' bits (made order-preserving: the sign bit flipped
 * for positives, every bit for negatives), 11 bits a pass, skipping passes where every key shares
 * the digit. At millions of values it takes about half the time of the built-in sort, which
 * dominated roc_auc; it needs one scratch array of the same size. NaN is not expected (the
 * scorer has rejected it) and would sort after every number.
 */
export function sortNumbers(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < 256) return values.sort();
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  const counts = new Uint32Array(passes.length * RADIX);
  for (let i = 0; i < 2 * n; i += 2) {
    let lo = words[i] as number;
    let hi = words[i + 1] as number;
    if (hi & 0x80000000) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
    } else {
      hi = (hi | 0x80000000) >>> 0;
    }
    words[i] = lo;
    words[i + 1] = hi;
    count(counts, lo & MASK);
    count(counts, RADIX + ((lo >>> 11) & MASK));
    count(counts, 2 * RADIX + (lo >>> 22));
    count(counts, 3 * RADIX + (hi & MASK));
    count(counts, 4 * RADIX + ((hi >>> 11) & MASK));
    count(counts, 5 * RADIX + (hi >>> 22));
  }
  let source: Uint32Array = words;
  let target: Uint32Array = new Uint32Array(2 * n);
  for (let pass = 0; pass < passes.length; pass++) {
    const base = pass * RADIX;
    if (!startsOf(counts, base, n)) continue;
    const [word, shift] = passes[pass] as readonly [number, number];
    for (let i = 0; i < 2 * n; i += 2) {
      const digit = base + (((source[i + word] as number) >>> shift) & MASK);
      const at = 2 * (counts[digit] as number);
      count(counts, digit);
      target[at] = source[i] as number;
      target[at + 1] = source[i + 1] as number;
    }
    [source, target] = [target, source];
  }
  for (let i = 0; i < 2 * n; i += 2) {
    const hi = source[i + 1] as number;
    if (hi & 0x80000000) {
      words[i] = source[i] as number;
      words[i + 1] = (hi & 0x7fffffff) >>> 0;
    } else {
      words[i] = ~(source[i] as number) >>> 0;
      words[i + 1] = ~hi >>> 0;
    }
  }
  return values;
}

function count(counts: Uint32Array, at: number): void {
  counts[at] = (counts[at] as number) + 1;
}

/**
 * Turns one pass's digit counts into the digits' first output positions.
 * @returns false when one digit holds every key: the pass would move nothing.
 */
function startsOf(counts: Uint32Array, base: number, n: number): boolean {
  let sum = 0;
  for (let digit = base; digit < base + RADIX; digit++) {
    const count = counts[digit] as number;
    if (count === n) return false;
    counts[digit] = sum;
    sum += count;
  }
  return true;
}
