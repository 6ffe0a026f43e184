/** Node's types leave WebAssembly out (it is in lib.dom); this is the one constructor used here. */
type MemoryConstructor = new (size: { initial: number }) => { buffer: ArrayBuffer };
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: MemoryConstructor } }).WebAssembly;

/** WebAssembly counts memory in pages of 64 KiB. */
const WASM_PAGE = 64 << 10;

/** Idle buffers kept for the next large write: enough for a couple of uploads at once. */
const KEEP_IDLE = 2;
const idle = new Map<number, Buffer[]>();

/**
 * A buffer of `bytes` (a multiple of 64 KiB) whose first byte lies on a page boundary, as direct
 * I/O needs. A Buffer's own memory comes from malloc, at any 16-byte offset, and JavaScript cannot
 * see the address; a WebAssembly memory is mapped by V8 itself, page-aligned. Give it back with
 * `releaseAligned` when the write is done, so large writes reuse a few of them.
 * @returns undefined where none can be made (wasm disabled, address space refused)
 */
export function takeAligned(bytes: number): Buffer | undefined {
  const kept = idle.get(bytes)?.pop();
  if (kept) return kept;
  try {
    return Buffer.from(new Memory({ initial: bytes / WASM_PAGE }).buffer);
  } catch {
    return undefined;
  }
}

export function releaseAligned(buffer: Buffer): void {
  const list = idle.get(buffer.length) ?? [];
  if (list.length < KEEP_IDLE) list.push(buffer);
  idle.set(buffer.length, list);
}
