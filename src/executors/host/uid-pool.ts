import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { dropPidLock, takePidLock } from '../pid-lock.js';

/**
 * Uids taken by any pool in this process, so that two executors with overlapping ranges never
 * give the same uid to two live runs.
 */
const taken = new Set<number>();

/**
 * Hands out one host uid per live run from a reserved range, so runs cannot signal, ptrace or
 * read each other's files.
 *
 * Within a process a set coordinates; across processes (several workers on one host) a pid lock
 * file per uid does (`takePidLock`).
 * @remarks Two processes taking over the same stale lock at the same instant could both win; the
 * runs would then share a uid, but not a pid namespace nor a writable folder.
 */
export class UidPool {
  #next: number;

  /**
   * @param first - first uid of the range (inclusive)
   * @param last - last uid of the range (inclusive)
   * @param lockDir - host folder for the cross-process locks; none when null
   */
  constructor(
    readonly first: number,
    readonly last: number,
    private readonly lockDir: string | null = null,
  ) {
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1000 || last < first || last >= 2 ** 31) {
      throw new Error(`invalid uid range ${first}-${last}: expected integers with 1000 <= first <= last`);
    }
    this.#next = first;
  }

  /**
   * Takes a free uid. Round robin, so a uid just released is the last to be reused.
   * @throws Error when every uid of the range is in use.
   */
  acquire(): number {
    if (this.lockDir !== null) mkdirSync(this.lockDir, { recursive: true, mode: 0o700 });
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const uid = this.#next;
      this.#next = uid === this.last ? this.first : uid + 1;
      if (taken.has(uid) || !this.#lock(uid)) continue;
      taken.add(uid);
      return uid;
    }
    throw new Error(`all ${size} sandbox uids (${this.first}-${this.last}) are in use`);
  }

  /** Gives a uid back. Releasing a uid that is not taken does nothing. */
  release(uid: number): void {
    if (!taken.delete(uid) || this.lockDir === null) return;
    dropPidLock(this.#lockFile(uid));
  }

  #lockFile(uid: number): string {
    return path.join(this.lockDir ?? '', `${uid}.lock`);
  }

  #lock(uid: number): boolean {
    return this.lockDir === null || takePidLock(this.#lockFile(uid)) === undefined;
  }
}
