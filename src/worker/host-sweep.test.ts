import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { CompetitionsRepo } from '../db/competitions-repo.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/schema.js';
import { testDialects } from '../db/test-databases.case.js';
import { WorkersRepo } from '../db/workers-repo.js';
import { FsBlobStore } from '../storage/fs/fs-blob-store.js';
import { processStamp } from '../executors/pid-lock.js';
import { BundleCache } from './bundle-cache.js';
import { markScratchOwner, scratchOwnerFile, sweepHost } from './host-sweep.js';

const sqlite = testDialects.find((d) => d.name === 'sqlite')!;
const minute = 60_000;
const day = 24 * 60 * minute;

describe('sweepHost: what killed workers leave on a host', () => {
  let dir: string;
  let db: Kysely<Database>;
  let drop: () => Promise<void>;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'holdout-sweep-'));
    const database = await sqlite.create();
    drop = database.drop;
    db = (await createDatabase(database.url)).db;
  });
  after(async () => {
    await db.destroy();
    await drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('forgets long-lost workers, removes scratch of dead ones (by registry and by process, so not of a frozen one) and unused replaced bundles, and keeps the rest', async () => {
    const now = Date.now();
    const workers = new WorkersRepo(db);
    const advert = { hostname: 'h', capacity: 1, cpus: 1, memoryBytes: 1, gpus: 0, executors: ['sandbox'] };
    const state = { running: 0, draining: false };
    await workers.heartbeat({ ...advert, id: 'alive' }, state, new Date(now));
    await workers.heartbeat({ ...advert, id: 'lost' }, state, new Date(now - 5 * minute));
    await workers.heartbeat({ ...advert, id: 'long-lost' }, state, new Date(now - 2 * day));

    const scratch = path.join(dir, 'scratch');
    const old = new Date(now - 10 * minute);
    for (const id of ['alive', 'lost', 'long-lost', 'self', 'unregistered-old', 'just-started', 'frozen']) {
      await mkdir(path.join(scratch, id, 'sub-1'), { recursive: true });
      if (id !== 'just-started') await utimes(path.join(scratch, id), old, old);
    }
    // Lost to the registry (SIGSTOP stops heartbeats too), yet its process lives on this host.
    await workers.heartbeat({ ...advert, id: 'frozen' }, state, new Date(now - 5 * minute));
    markScratchOwner(path.join(scratch, 'frozen'));
    await utimes(path.join(scratch, 'frozen'), old, old);
    // Marked by a process that has ended: its pid now names another process (this one) that
    // started at another time. Gone at once, however new the folder.
    const [pid, , where] = processStamp().split(' ');
    markScratchOwner(path.join(scratch, 'pid-reused'));
    await writeFile(path.join(scratch, 'pid-reused', scratchOwnerFile), `${pid} 1 ${where}`);
    // Marked in another container or on another host sharing the folder: its pids mean nothing
    // here, so the registry and the folder's age decide, as for an unmarked folder. A mark being
    // written (empty) is no mark either.
    for (const [id, mark, mtime] of [['elsewhere-new', `${pid} 1 other-boot/pid:[1]`, undefined], ['elsewhere-old', `${pid} 1 other-boot/pid:[1]`, old], ['mark-being-written', '', undefined]] as const) {
      await mkdir(path.join(scratch, id));
      await writeFile(path.join(scratch, id, scratchOwnerFile), mark);
      if (mtime) await utimes(path.join(scratch, id), mtime, mtime);
    }
    const cacheRoot = path.join(dir, 'cache');
    await mkdir(path.join(cacheRoot, 'bundles_replaced'), { recursive: true });
    await utimes(path.join(cacheRoot, 'bundles_replaced'), new Date(now - 2 * day), new Date(now - 2 * day));
    await mkdir(path.join(cacheRoot, 'bundles_recently-used'));

    const swept = await sweepHost(
      {
        workers,
        competitions: new CompetitionsRepo(db),
        bundles: new BundleCache(new FsBlobStore(path.join(dir, 'blobs')), cacheRoot),
        scratchDir: scratch,
        selfId: 'self',
        lostAfterMs: minute,
        ages: { forgetLostWorkerMs: day, unusedBundleMs: day },
      },
      now,
    );
    assert.equal(swept.forgottenWorkers, 1);
    assert.deepEqual((await workers.list(minute, now)).map((w) => w.id).sort(), ['alive', 'frozen', 'lost']);
    assert.deepEqual(swept.scratch.sort(), ['elsewhere-old', 'long-lost', 'lost', 'pid-reused', 'unregistered-old']);
    assert.deepEqual((await readdir(scratch)).sort(), ['alive', 'elsewhere-new', 'frozen', 'just-started', 'mark-being-written', 'self']);
    assert.deepEqual(swept.bundles, ['bundles_replaced']);
    assert.deepEqual(await readdir(cacheRoot), ['bundles_recently-used']);
  });
});
