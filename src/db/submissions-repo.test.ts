import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { createDatabase } from './create-database.js';
import type { Database } from './schema.js';
import { SubmissionsRepo } from './submissions-repo.js';
import { QuotaExceededError } from './db-errors.js';

let db: Kysely<Database>;
let repo: SubmissionsRepo;

beforeEach(async () => {
  db = await createDatabase('sqlite::memory:');
  repo = new SubmissionsRepo(db);
  await db.insertInto('users').values({ id: 'u1', username: 'u1', password_hash: 'x', role: 'participant', created_at: '2026-01-01T00:00:00.000Z' }).execute();
  await db
    .insertInto('competitions')
    .values({ id: 'c1', slug: 'c1', title: 'c', config_json: '{}', bundle_key: 'b', bundle_digest: 'd', created_at: 'x', updated_at: 'x' })
    .execute();
});

function queued(createdAt: string) {
  return {
    id: randomUUID(), competition_id: 'c1', user_id: 'u1', phase: 'dev', kind: 'full' as const, status: 'queued' as const,
    reason: null, message: null, zip_key: 'k', zip_bytes: 1, created_at: createdAt, started_at: null, finished_at: null,
    run_ms: null, exit_code: null, public_scores: null, private_scores: null, public_primary: null, private_primary: null,
    log_key: null, log_bytes: null, lease_owner: null, lease_expires_at: null, quota_day: '2026-01-01',
  };
}

describe('SubmissionsRepo', () => {
  it('hands each queued submission to one worker only, oldest first', async () => {
    const a = await repo.insertWithinQuota(queued('2026-01-01T00:00:01.000Z'), 5);
    const b = await repo.insertWithinQuota(queued('2026-01-01T00:00:02.000Z'), 5);
    const [first, second, third] = await Promise.all([repo.claim('w1', 60_000), repo.claim('w2', 60_000), repo.claim('w3', 60_000)]);
    assert.deepEqual([first?.id, second?.id, third], [a.id, b.id, undefined]);
    assert.equal(first?.status, 'running');
    assert.equal(first?.attempts, 1);
  });

  it('gives a submission to another worker once the lease has expired, and ignores the old owner', async () => {
    const s = await repo.insertWithinQuota(queued('2026-01-01T00:00:01.000Z'), 5);
    const now = Date.now();
    await repo.claim('dead', 1000, now);
    assert.equal(await repo.claim('w2', 1000, now + 500), undefined, 'lease still valid');
    const again = await repo.claim('w2', 1000, now + 2000);
    assert.equal(again?.id, s.id);
    assert.equal(again?.attempts, 2);
    assert.equal(await repo.finish(s.id, 'dead', { status: 'scored' }), false, 'a lost lease records nothing');
    assert.equal(await repo.renewLease(s.id, 'dead', 1000), false);
    assert.equal(await repo.finish(s.id, 'w2', { status: 'scored', publicPrimary: 0.5 }), true);
    assert.equal(await repo.finish(s.id, 'w2', { status: 'scored', publicPrimary: 0.9 }), false, 'recording twice is a no-op');
    assert.equal((await repo.get(s.id))?.public_primary, 0.5);
  });

  it('refuses past the quota and frees the slot of an infrastructure failure', async () => {
    const s1 = await repo.insertWithinQuota(queued('1'), 2);
    await repo.insertWithinQuota(queued('2'), 2);
    await assert.rejects(repo.insertWithinQuota(queued('3'), 2), QuotaExceededError);
    await repo.claim('w', 60_000);
    await repo.finish(s1.id, 'w', { status: 'failed', reason: 'infrastructure', message: 'disk died' });
    const s3 = await repo.insertWithinQuota(queued('4'), 2);
    assert.equal(s3.quota_slot, 1);
  });

  it('puts a submission back in the queue after an infrastructure failure', async () => {
    const s = await repo.insertWithinQuota(queued('1'), 2);
    await repo.claim('w', 60_000);
    await repo.requeue(s.id, 'w', 'blob store unreachable');
    const row = await repo.get(s.id);
    assert.equal(row?.status, 'queued');
    assert.equal((await repo.claim('w2', 60_000))?.id, s.id);
  });
});
