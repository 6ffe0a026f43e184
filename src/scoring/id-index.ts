/**
 * Exact id → position index over the ids' UTF-8 bytes, in insertion order.
 * @remarks No string per id: the ids live end to end in one buffer, with their offsets in a
 * typed array, and an open-addressing table over an Int32Array maps hashes to positions. At ten
 * million ids that takes ~300 MB and 2–3 s to fill, where an array of strings plus a `Map` took
 * over 1 GB and 8–10 s. `find` with the expected position (where a file in the format's order
 * has the id) compares bytes and skips hashing altogether, the common case.
 */
export class IdIndex {
  #bytes: Buffer;
  #used = 0;
  /** Position p's bytes are `#bytes[#offsets[p], #offsets[p + 1])`. */
  #offsets: Uint32Array;
  #size = 0;
  /**
   * Open addressing, linear probing: slot s is `[hash, position]` at `2s`, position -1 when free.
   * The hash next to the position rejects a wrong slot without touching the id's bytes, which at
   * ten million ids are a cache miss away.
   */
  #table: Int32Array;
  #mask: number;

  constructor() {
    this.#offsets = new Uint32Array(1024);
    this.#bytes = Buffer.allocUnsafe(1 << 14);
    this.#table = newTable(2048);
    this.#mask = 2047;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held, for a cache's budget. */
  get byteSize(): number {
    return this.#used + this.#offsets.byteLength + this.#table.byteLength;
  }

  /** Adds the id in `bytes[start, end)` at the next position; returns the position it already had, or -1 when new. */
  add(bytes: Uint8Array, start: number, end: number): number {
    const hash = hashBytes(bytes, start, end);
    const table = this.#table;
    const slot = this.#probe(hash, bytes, start, end);
    const found = table[2 * slot + 1] as number;
    if (found !== -1) return found;
    const position = this.#size;
    this.#store(bytes, start, end);
    table[2 * slot] = hash;
    table[2 * slot + 1] = position;
    // Kept at most 70% full, where linear probing still finds a slot in a few steps.
    if (this.#size * 10 > (this.#mask + 1) * 7) this.#grow();
    return -1;
  }

  /**
   * Position of the id in `bytes[start, end)`, or -1. `expected` (the position a file in the
   * format's order would have) is tried first.
   */
  find(bytes: Uint8Array, start: number, end: number, expected = -1): number {
    if (expected >= 0 && expected < this.#size && this.#is(expected, bytes, start, end)) return expected;
    return this.#table[2 * this.#probe(hashBytes(bytes, start, end), bytes, start, end) + 1] as number;
  }

  /** Position of `id`, or -1. */
  findText(id: string): number {
    const bytes = Buffer.from(id, 'utf8');
    return this.find(bytes, 0, bytes.length);
  }

  /** The id at `position`, decoded. */
  idAt(position: number): string {
    return this.#bytes.toString('utf8', this.#offsets[position], this.#offsets[position + 1]);
  }

  /** The slot holding the id in `bytes[start, end)`, or the empty slot where it would go (linear probing). */
  #probe(hash: number, bytes: Uint8Array, start: number, end: number): number {
    const table = this.#table;
    let slot = hash & this.#mask;
    for (let at = table[2 * slot + 1] as number; at !== -1; at = table[2 * slot + 1] as number) {
      if (table[2 * slot] === hash && this.#is(at, bytes, start, end)) return slot;
      slot = (slot + 1) & this.#mask;
    }
    return slot;
  }

  #is(position: number, bytes: Uint8Array, start: number, end: number): boolean {
    const from = this.#offsets[position] as number;
    if ((this.#offsets[position + 1] as number) - from !== end - start) return false;
    const stored = this.#bytes;
    for (let i = start, j = from; i < end; i++, j++) if (stored[j] !== bytes[i]) return false;
    return true;
  }

  #store(bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (this.#used + length > this.#bytes.length) {
      const needed = this.#used + length;
      if (needed > 0xffffffff) throw new RangeError('ids take more than 4 GiB');
      const grown = Buffer.allocUnsafe(Math.min(0xffffffff, Math.max(needed, this.#bytes.length * 2)));
      this.#bytes.copy(grown, 0, 0, this.#used);
      this.#bytes = grown;
    }
    if (this.#size + 2 > this.#offsets.length) {
      const grown = new Uint32Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    const stored = this.#bytes;
    let used = this.#used;
    for (let i = start; i < end; i++) stored[used++] = bytes[i] as number;
    this.#used = used;
    this.#offsets[++this.#size] = used;
  }

  /** Doubles the table, re-placing every entry by its stored hash. */
  #grow(): void {
    const old = this.#table;
    const slots = (this.#mask + 1) * 2;
    const table = newTable(slots);
    const mask = slots - 1;
    for (let k = 1; k < old.length; k += 2) {
      const position = old[k] as number;
      if (position === -1) continue;
      const hash = old[k - 1] as number;
      let slot = hash & mask;
      while (table[2 * slot + 1] !== -1) slot = (slot + 1) & mask;
      table[2 * slot] = hash;
      table[2 * slot + 1] = position;
    }
    this.#table = table;
    this.#mask = mask;
  }
}

/** A table of `slots` free slots. */
function newTable(slots: number): Int32Array {
  const table = new Int32Array(2 * slots);
  for (let k = 1; k < table.length; k += 2) table[k] = -1;
  return table;
}

/** FNV-1a over the bytes, finished with MurmurHash3's mixer so the low bits are usable. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash | 0; // signed, as stored in the Int32Array table
}
