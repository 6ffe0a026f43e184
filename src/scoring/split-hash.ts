const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash;
}

function finalise(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 0x100000000;
}

/**
 * A stable number in [0, 1) for `id` under `seed`: 32-bit FNV-1a over the UTF-16 code units of
 * `${seed}:${id}`, then MurmurHash3's 32-bit finaliser.
 * @remarks Depends on nothing but the two inputs, so an id lands in the same part on every run,
 * machine and version, whatever the other rows. The finaliser matters: FNV-1a alone maps ids that
 * differ only in their last character to nearby values, which would put "row_1" … "row_9" together.
 */
export function splitHash(seed: number, id: string): number {
  return finalise(fnv1a(fnv1a(FNV_OFFSET, `${seed}:`), id));
}

/** Whether a seeded split puts an id in the public part: `splitHash(seed, id) < publicFraction`. */
export function seededPublic(seed: number, publicFraction: number): (id: string) => boolean {
  const prefix = fnv1a(FNV_OFFSET, `${seed}:`);
  return (id) => finalise(fnv1a(prefix, id)) < publicFraction;
}
