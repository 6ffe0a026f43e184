import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { processStamp, stampAlive } from '../executors/pid-lock.js';
import type { CompetitionsRepo } from '../db/competitions-repo.js';
import type { WorkersRepo } from '../db/workers-repo.js';
import type { BundleCache } from './bundle-cache.js';

/** How long leftovers are kept before a worker's sweep removes them. */
export interface SweepAges {
  /** A lost worker stays on the queue page this long, then is forgotten. @defaultValue 24 hours */
  forgetLostWorkerMs: number;
  /** A replaced bundle's cached copy stays this long after its last use on this host. @defaultValue 24 hours */
  unusedBundleMs: number;
}

export const defaultSweepAges: Readonly<SweepAges> = Object.freeze({ forgetLostWorkerMs: 24 * 3_600_000, unusedBundleMs: 24 * 3_600_000 });

/** What `sweepHost` looks at and cleans. */
export interface HostSweepInput {
  /** The registry; without it nothing tells a dead worker from a live one, and scratch is left alone. */
  workers: Pick<WorkersRepo, 'list' | 'pruneLost'> | undefined;
  competitions: Pick<CompetitionsRepo, 'bundleKeys'>;
  bundles: BundleCache;
  /** The scratch folder worker processes of this host share, one subfolder per worker id. */
  scratchDir: string;
  /** This worker's id: its own scratch is never swept. */
  selfId: string;
  /** A worker silent for this long is lost (its leases have expired, its runs were taken over). */
  lostAfterMs: number;
  ages: SweepAges;
}

/** The file in a worker's scratch folder that names the process owning it. */
export const scratchOwnerFile = 'owner';

/**
 * Makes a worker's scratch folder and marks it as this process's: a sweep on this host then keeps
 * it while the process lives, even when its heartbeats stop (a worker frozen by SIGSTOP or a
 * stalled host looks lost to the registry, yet it wakes up and goes on using its folder).
 */
export function markScratchOwner(folder: string): void {
  mkdirSync(folder, { recursive: true });
  // Renamed into place: a sweep never reads a half-written mark.
  const temp = path.join(folder, `.${scratchOwnerFile}-${process.pid}`);
  writeFileSync(temp, processStamp());
  renameSync(temp, path.join(folder, scratchOwnerFile));
}

/**
 * Whether the process that marked a scratch folder still runs; undefined where nothing tells
 * (no mark, or a mark from another host or container, whose processes this one cannot see).
 */
async function scratchOwnerAlive(folder: string): Promise<boolean | undefined> {
  const stamp = await readFile(path.join(folder, scratchOwnerFile), 'utf8').catch(() => undefined);
  return stamp === undefined ? undefined : stampAlive(stamp);
}

/** What a sweep removed. */
export interface HostSweepResult {
  forgottenWorkers: number;
  scratch: string[];
  bundles: string[];
}

/**
 * Cleans what killed workers leave: registry rows of workers lost long ago, scratch folders of
 * workers alive neither in the registry nor as a process on this host (downloads and unpacked code
 * of their last attempts), and cached bundles no competition uses any more. The sandbox's own
 * leftovers (mounted workspaces, cgroups) are swept by the executor's check at start.
 */
export async function sweepHost(input: HostSweepInput, now = Date.now()): Promise<HostSweepResult> {
  const result: HostSweepResult = { forgottenWorkers: 0, scratch: [], bundles: [] };
  if (input.workers) {
    result.forgottenWorkers = await input.workers.pruneLost(input.ages.forgetLostWorkerMs, now);
    const alive = new Set((await input.workers.list(input.lostAfterMs, now)).filter((w) => w.alive).map((w) => w.id));
    for (const id of await readdir(input.scratchDir).catch(() => [])) {
      if (id === input.selfId || alive.has(id)) continue;
      const folder = path.join(input.scratchDir, id);
      const owner = await scratchOwnerAlive(folder);
      if (owner === true) continue;
      // Unknown owner: a worker that started a moment ago may not be registered yet, so only old ones go.
      const changed = await stat(folder).then((s) => s.mtimeMs, () => now);
      if (owner === undefined && now - changed < input.lostAfterMs) continue;
      await rm(folder, { recursive: true, force: true });
      result.scratch.push(id);
    }
  }
  result.bundles = await input.bundles.prune(await input.competitions.bundleKeys(), input.ages.unusedBundleMs, now);
  return result;
}
