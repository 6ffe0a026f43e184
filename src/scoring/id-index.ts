/**
 * Exact id → position index, in insertion order.
 * @remarks At ten million ids V8's Map takes 8–10 s to fill (growth and cache misses); this open
 * addressing table over an Int32Array takes about 3 s, and `find` with the expected position skips
 * hashing altogether for files in the format's order, the common case.
 */
export class IdIndex {
  readonly ids: string[] = [];
  #hashes = new Uint32Array(1024);
  #slots = new Int32Array(2048).fill(-1);
  #mask = 2047;

  get size(): number {
    return this.ids.length;
  }

  /** Adds `id` at the next position; returns the position it already had, or -1 when new. */
  add(id: string): number {
    const hash = hashId(id);
    let slot = hash & this.#mask;
    for (let at = this.#slots[slot] as number; at !== -1; at = this.#slots[slot] as number) {
      if (this.#hashes[at] === hash && this.ids[at] === id) return at;
      slot = (slot + 1) & this.#mask;
    }
    const position = this.ids.length;
    if (position === this.#hashes.length) this.#grow();
    this.ids.push(id);
    this.#hashes[position] = hash;
    if (position * 2 >= this.#mask) this.#rehash();
    else this.#slots[slot] = position;
    return -1;
  }

  /** Position of `id`, or -1; `expected` (the position a file in the format's order would have) is tried first. */
  find(id: string, expected = -1): number {
    if (expected >= 0 && this.ids[expected] === id) return expected;
    const hash = hashId(id);
    let slot = hash & this.#mask;
    for (let at = this.#slots[slot] as number; at !== -1; at = this.#slots[slot] as number) {
      if (this.#hashes[at] === hash && this.ids[at] === id) return at;
      slot = (slot + 1) & this.#mask;
    }
    return -1;
  }

  #grow(): void {
    const hashes = new Uint32Array(this.#hashes.length * 2);
    hashes.set(this.#hashes);
    this.#hashes = hashes;
  }

  /** Doubles the table (kept under half full) and re-places every id from its stored hash. */
  #rehash(): void {
    const size = (this.#mask + 1) * 2;
    this.#slots = new Int32Array(size).fill(-1);
    this.#mask = size - 1;
    for (let position = 0; position < this.ids.length; position++) {
      let slot = (this.#hashes[position] as number) & this.#mask;
      while (this.#slots[slot] !== -1) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = position;
    }
  }
}

/** FNV-1a over UTF-16 code units, finished with MurmurHash3's mixer so the low bits are usable. */
function hashId(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
