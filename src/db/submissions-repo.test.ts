import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { createDatabase, dialectFor } from './create-database.js';
import { QuotaExceededError } from './db-errors.js';
import type { Database } from './schema.js';
import { SubmissionsRepo } from './submissions-repo.js';
import { queuedRow, testDialects, type TestDatabase } from './test-databases.case.js';

const queued = (createdAt: string, competitionId = 'c1') => queuedRow(createdAt, competitionId);

for (const dialect of testDialects) {
  describe(`SubmissionsRepo on ${dialect.name}`, { skip: dialect.skip }, () => {
    let test: TestDatabase;
    let db: Kysely<Database>;
    let repo: SubmissionsRepo;

    beforeEach(async () => {
      test = await dialect.create();
      const opened = await createDatabase(test.url);
      db = opened.db;
      repo = new SubmissionsRepo(db, opened.dialect);
      await db.insertInto('users').values({ id: 'u1', username: 'u1', password_hash: 'x', role: 'participant', created_at: '2026-01-01T00:00:00.000Z' }).execute();
      const competition = { title: 'c', config_json: '{}', bundle_key: 'b', bundle_digest: 'd', created_at: 'x', updated_at: 'x', runtime: 'host' };
      await db.insertInto('competitions').values({ id: 'c1', slug: 'c1', ...competition }).execute();
      await db.insertInto('competitions').values({ id: 'gpu', slug: 'gpu', ...competition, need_gpus: 1, need_memory_bytes: 8 * 2 ** 30 }).execute();
    });
    afterEach(async () => {
      await db.destroy();
      await test.drop();
    });

    it('hands each queued submission to one worker only, oldest first', async () => {
      const a = await repo.insertWithinQuota(queued('2026-01-01T00:00:01.000Z'), 5);
      const b = await repo.insertWithinQuota(queued('2026-01-01T00:00:02.000Z'), 5);
      const [first, second, third] = await Promise.all([repo.claim('w1', 60_000), repo.claim('w2', 60_000), repo.claim('w3', 60_000)]);
      const ids = [first?.id, second?.id, third?.id];
      assert.deepEqual(ids.filter(Boolean).sort(), [a.id, b.id].sort(), 'each claimed once');
      assert.equal(ids.filter((x) => x === undefined).length, 1);
      assert.equal((await repo.claim('w4', 60_000))?.id, undefined);
      const rows = await Promise.all([a.id, b.id].map((id) => repo.get(id)));
      assert.deepEqual(rows.map((r) => [r?.status, r?.attempts]), [['running', 1], ['running', 1]]);
    });

    it('claims the oldest first', async () => {
      const a = await repo.insertWithinQuota(queued('2026-01-01T00:00:01.000Z'), 5);
      await repo.insertWithinQuota(queued('2026-01-01T00:00:02.000Z'), 5);
      assert.equal((await repo.claim('w1', 60_000))?.id, a.id);
    });

    it('never gives one submission to two of many concurrent claimers', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 30; i++) ids.add((await repo.insertWithinQuota({ ...queued(`2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`), quota_day: `d${i}` }, 1)).id);
      const claimed: string[] = [];
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          for (let row = await repo.claim(`w${w}`, 60_000); row; row = await repo.claim(`w${w}`, 60_000)) claimed.push(row.id);
        }),
      );
      assert.equal(claimed.length, 30);
      assert.deepEqual(new Set(claimed), ids);
    });

    it('gives a submission to another worker once the lease has expired, and ignores the old owner', async () => {
      const s = await repo.insertWithinQuota(queued('2026-01-01T00:00:01.000Z'), 5);
      const now = Date.now();
      await repo.claim('dead', 1000, {}, now);
      assert.equal(await repo.claim('w2', 1000, {}, now + 500), undefined, 'lease still valid');
      const again = await repo.claim('w2', 1000, {}, now + 2000);
      assert.equal(again?.id, s.id);
      assert.equal(again?.attempts, 2);
      assert.equal(await repo.finish(s.id, { owner: 'dead', attempt: 1 }, { status: 'scored' }), false, 'a lost lease records nothing');
      assert.equal(await repo.renewLease(s.id, { owner: 'dead', attempt: 1 }, 1000), false);
      assert.equal(await repo.finish(s.id, { owner: 'w2', attempt: 2 }, { status: 'scored', publicPrimary: 0.5 }), true);
      assert.equal(await repo.finish(s.id, { owner: 'w2', attempt: 2 }, { status: 'scored', publicPrimary: 0.9 }), false, 'recording twice is a no-op');
      assert.equal((await repo.get(s.id))?.public_primary, 0.5);
      const attempts = await repo.attemptsOf(s.id);
      assert.deepEqual(attempts.map((a) => [a.attempt, a.worker_id, a.outcome]), [[1, 'dead', 'lost'], [2, 'w2', 'scored']]);
    });

    it("never lets a late write of an earlier claim land on a later claim of the same worker", async () => {
      const s = await repo.insertWithinQuota(queued('2026-01-01T00:00:01.000Z'), 5);
      const now = Date.now();
      await repo.claim('w', 1000, {}, now);
      // Its lease ran out in a database outage; the same worker (another of its loops) claims it again.
      assert.equal((await repo.claim('w', 60_000, {}, now + 2000))?.attempts, 2);
      const first = { owner: 'w', attempt: 1 };
      assert.equal(await repo.markScoring(s.id, first), false);
      assert.equal(await repo.renewLease(s.id, first, 1000), false);
      assert.equal(await repo.requeue(s.id, first, 'retried after the outage'), false);
      assert.equal(await repo.finish(s.id, first, { status: 'scored', publicPrimary: 0.1 }), false);
      assert.equal((await repo.get(s.id))?.status, 'running');
      assert.equal(await repo.finish(s.id, { owner: 'w', attempt: 2 }, { status: 'scored', publicPrimary: 0.7 }), true);
      assert.equal((await repo.get(s.id))?.public_primary, 0.7);
      assert.deepEqual((await repo.attemptsOf(s.id)).map((a) => [a.attempt, a.outcome]), [[1, 'lost'], [2, 'scored']]);
    });

    it('refuses past the quota and frees the slot of an infrastructure failure', async () => {
      const s1 = await repo.insertWithinQuota(queued('1'), 2);
      await repo.insertWithinQuota(queued('2'), 2);
      await assert.rejects(repo.insertWithinQuota(queued('3'), 2), QuotaExceededError);
      await repo.claim('w', 60_000);
      await repo.finish(s1.id, { owner: 'w', attempt: 1 }, { status: 'failed', reason: 'infrastructure', message: 'disk died' });
      const s3 = await repo.insertWithinQuota(queued('4'), 2);
      assert.equal(s3.quota_slot, 1);
    });

    it('keeps the quota under concurrent inserts', async () => {
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => repo.insertWithinQuota(queued(String(i)), 3)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
      assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof QuotaExceededError));
    });

    it('puts a submission back in the queue after an infrastructure failure', async () => {
      const s = await repo.insertWithinQuota(queued('1'), 2);
      await repo.claim('w', 60_000);
      assert.equal(await repo.requeue(s.id, { owner: 'w', attempt: 1 }, 'blob store unreachable'), true);
      const row = await repo.get(s.id);
      assert.equal(row?.status, 'queued');
      assert.equal(row?.message, 'blob store unreachable');
      assert.equal((await repo.claim('w2', 60_000))?.id, s.id);
      assert.deepEqual((await repo.attemptsOf(s.id)).map((a) => a.outcome), ['requeued', null]);
    });

    it('takes a handed-back submission again without counting the attempt', async () => {
      const s = await repo.insertWithinQuota(queued('1'), 2);
      await repo.claim('draining', 60_000);
      assert.equal(await repo.handBack(s.id, { owner: 'other', attempt: 1 }), false, 'only the lease owner hands back');
      assert.equal(await repo.handBack(s.id, { owner: 'draining', attempt: 1 }), true);
      const again = await repo.claim('w2', 60_000);
      assert.equal(again?.attempts, 1);
      assert.deepEqual((await repo.attemptsOf(s.id)).map((a) => [a.worker_id, a.outcome]), [['draining', 'handed_back'], ['w2', null]]);
    });

    it('claims only what fits the worker: GPUs, memory and runtimes', async () => {
      const plain = await repo.insertWithinQuota(queued('1'), 5);
      const gpu = await repo.insertWithinQuota(queued('2', 'gpu'), 5);
      const small = { cpus: 2, memoryBytes: 16 * 2 ** 30, gpus: 0 };
      assert.equal(await repo.claim('w', 60_000, { runtimes: [] }), undefined);
      assert.equal(await repo.claim('w', 60_000, { runtimes: ['python-ml'] }), undefined);
      assert.equal((await repo.claim('w', 60_000, { free: small, runtimes: ['host'] }))?.id, plain.id);
      assert.equal(await repo.claim('w', 60_000, { free: small }), undefined, 'no GPU: the GPU submission stays queued');
      assert.equal(await repo.claim('w', 60_000, { free: { ...small, gpus: 1, memoryBytes: 2 ** 30 } }), undefined, 'too little memory');
      assert.equal((await repo.claim('w', 60_000, { free: { ...small, gpus: 1 } }))?.id, gpu.id);
    });

    it('ends submissions queued past a deadline as infrastructure failures, and frees their quota slots', async () => {
      const old = await repo.insertWithinQuota(queued('2026-01-01T00:00:01.000Z'), 5);
      const recent = await repo.insertWithinQuota(queued('2026-01-01T00:00:09.000Z'), 5);
      const running = await repo.insertWithinQuota(queued('2026-01-01T00:00:00.000Z'), 5);
      assert.equal((await repo.claim('w1', 60_000))?.id, running.id);
      assert.deepEqual(await repo.expireQueued('2026-01-01T00:00:05.000Z', 'too long'), [old.id]);
      const ended = await repo.get(old.id);
      assert.deepEqual([ended?.status, ended?.reason, ended?.message, ended?.quota_day], ['failed', 'infrastructure', 'too long', `void:${old.id}`]);
      assert.equal((await repo.get(recent.id))?.status, 'queued');
      assert.equal((await repo.get(running.id))?.status, 'running', 'only queued ones');
      assert.deepEqual(await repo.expireQueued('2026-01-01T00:00:05.000Z', 'too long'), [], 'idempotent');
    });

    it('tells the run-ended hook of each submission it ends for waiting too long, inside the transaction that ends it', async () => {
      const seen: [string, string | undefined][] = [];
      const told = new SubmissionsRepo(db, dialectFor(test.url), async (trx, id) => {
        seen.push([id, (await trx.selectFrom('submissions').select('status').where('id', '=', id).executeTakeFirst())?.status]);
      });
      const old = await told.insertWithinQuota(queued('2026-01-01T00:00:01.000Z'), 5);
      await told.insertWithinQuota(queued('2026-01-01T00:00:09.000Z'), 5);
      await told.expireQueued('2026-01-01T00:00:05.000Z', 'too long');
      assert.deepEqual(seen, [[old.id, 'failed']]);
    });

    it('returns byte counts and counts as numbers', async () => {
      await repo.insertWithinQuota({ ...queued('1'), zip_bytes: 5_000_000_000 }, 5);
      assert.equal(await repo.usedToday('c1', 'u1', 'dev', '2026-01-01'), 1);
      const [row] = await db.selectFrom('submissions').select('zip_bytes').execute();
      assert.equal(row?.zip_bytes, 5_000_000_000);
    });
  });
}
