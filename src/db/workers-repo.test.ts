import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { createDatabase } from './create-database.js';
import type { Database } from './schema.js';
import { testDialects, type TestDatabase } from './test-databases.case.js';
import { WorkersRepo } from './workers-repo.js';

const advert = { id: 'w1', hostname: 'host-a', capacity: 2, cpus: 1.5, memoryBytes: 6 * 2 ** 30, gpus: 1, executors: ['sandbox'] };

for (const dialect of testDialects) {
  describe(`WorkersRepo on ${dialect.name}`, { skip: dialect.skip }, () => {
    let test: TestDatabase;
    let db: Kysely<Database>;
    let repo: WorkersRepo;
    beforeEach(async () => {
      test = await dialect.create();
      db = (await createDatabase(test.url)).db;
      repo = new WorkersRepo(db);
    });
    afterEach(async () => {
      await db.destroy();
      await test.drop();
    });

    it('registers on the first heartbeat, updates on the next, and lists what each worker offers', async () => {
      const t0 = new Date('2026-01-01T00:00:00.000Z');
      await repo.heartbeat(advert, { running: 0, draining: false }, t0);
      await repo.heartbeat({ ...advert, id: 'w2', runtimes: ['host'] }, { running: 0, draining: false }, t0);
      await repo.heartbeat(advert, { running: 2, draining: true }, new Date(t0.getTime() + 5000));
      const [w1, w2] = await repo.list(10_000, t0.getTime() + 12_000);
      assert.deepEqual(w1, {
        id: 'w1', hostname: 'host-a', capacity: 2, cpus: 1.5, memoryBytes: 6 * 2 ** 30, gpus: 1, executors: ['sandbox'], runtimes: null,
        running: 2, draining: true, startedAt: t0.toISOString(), seenAt: '2026-01-01T00:00:05.000Z', alive: true,
      });
      assert.deepEqual([w2?.runtimes, w2?.alive], [['host'], false], 'silent for longer than 10 s: lost');
    });

    it('deregisters a worker that stopped and prunes long-lost ones', async () => {
      await repo.heartbeat(advert, { running: 0, draining: false }, new Date('2026-01-01T00:00:00.000Z'));
      await repo.heartbeat({ ...advert, id: 'w2' }, { running: 0, draining: false }, new Date('2026-01-02T00:00:00.000Z'));
      await repo.heartbeat({ ...advert, id: 'w3' }, { running: 0, draining: false }, new Date('2026-01-02T00:00:00.000Z'));
      await repo.deregister('w3');
      assert.equal(await repo.pruneLost(3_600_000, Date.parse('2026-01-02T00:00:00.000Z')), 1);
      assert.deepEqual((await repo.list(1000)).map((w) => w.id), ['w2']);
    });
  });
}
