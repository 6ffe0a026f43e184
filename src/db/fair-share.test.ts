import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { createDatabase } from './create-database.js';
import type { Database } from './schema.js';
import { SubmissionsRepo } from './submissions-repo.js';
import { testDialects, type TestDatabase } from './test-databases.case.js';

for (const dialect of testDialects) {
  describe(`fair-share claims on ${dialect.name}`, { skip: dialect.skip }, () => {
    let test: TestDatabase;
    let db: Kysely<Database>;
    let repo: SubmissionsRepo;
    let clock = 0;
    let slot = 0;

    /** Queues `n` submissions of `user` in competition `c`, each a second after the previous one. */
    async function queue(c: string, user: string, n = 1, extra: { background?: number; quota_owner?: string } = {}): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const id = randomUUID();
        ids.push(id);
        await db.insertInto('submissions').values({
          id, competition_id: c, user_id: user, phase: 'dev', kind: 'full', status: 'queued', reason: null, message: null, zip_key: 'k', zip_bytes: 1,
          created_at: new Date(Date.UTC(2026, 0, 1) + ++clock * 1000).toISOString(), started_at: null, finished_at: null, run_ms: null, exit_code: null,
          public_scores: null, private_scores: null, public_primary: null, private_primary: null, log_key: null, log_bytes: null, lease_owner: null,
          lease_expires_at: null, quota_day: 'd', quota_slot: ++slot, quota_owner: extra.quota_owner ?? null, background: extra.background ?? 0,
        }).execute();
      }
      return ids;
    }

    /** Who owns each claimed submission, as "competition/user". */
    async function claimAll(n: number): Promise<string[]> {
      const who: string[] = [];
      for (let i = 0; i < n; i++) {
        const row = await repo.claim(`w${i}`, 60_000);
        if (row) who.push(`${row.competition_id}/${row.user_id}`);
      }
      return who;
    }

    const finish = async (id: string) => {
      const row = await repo.get(id);
      assert.ok(row?.lease_owner);
      assert.ok(await repo.finish(id, { owner: row.lease_owner, attempt: row.attempts }, { status: 'scored' }));
    };

    beforeEach(async () => {
      test = await dialect.create();
      const opened = await createDatabase(test.url);
      db = opened.db;
      repo = new SubmissionsRepo(db, opened.dialect);
      for (const u of ['flood', 'alice', 'bob', 'carol', 'host']) {
        await db.insertInto('users').values({ id: u, username: u, password_hash: 'x', role: 'participant', created_at: 'x' }).execute();
      }
      const competition = { title: 'c', config_json: '{}', bundle_key: 'b', bundle_digest: 'd', created_at: 'x', updated_at: 'x', runtime: 'host' };
      await db.insertInto('competitions').values({ id: 'A', slug: 'a', ...competition }).execute();
      await db.insertInto('competitions').values({ id: 'B', slug: 'b', ...competition, sched_weight: 2 }).execute();
    });
    afterEach(async () => {
      await db.destroy();
      await test.drop();
    });

    it('shares workers between two competitions by weight, and a flood from one participant waits behind everyone else', async () => {
      // The flood comes first: first-in-first-out would give it every worker.
      await queue('A', 'flood', 30);
      await queue('A', 'alice', 2);
      await queue('B', 'bob', 3);
      await queue('B', 'carol', 3);
      const six = await claimAll(6);
      const count = (prefix: string) => six.filter((w) => w.startsWith(prefix)).length;
      // B has weight 2: four of six workers; A two, of which the flood gets one and alice the other.
      assert.equal(count('B/'), 4, six.join());
      assert.deepEqual(six.filter((w) => w.startsWith('A/')).sort(), ['A/alice', 'A/flood']);
      assert.equal(count('B/bob'), 2, 'bob and carol alternate');
      assert.equal(count('B/carol'), 2);
    });

    it('holds per-competition and per-entrant caps, and a team counts as one entrant', async () => {
      await db.updateTable('competitions').set({ max_running: 3, max_running_per_entrant: 1 }).where('id', '=', 'A').execute();
      await queue('A', 'flood', 10);
      // alice and bob are one team: its submissions share a quota owner.
      await queue('A', 'alice', 2, { quota_owner: 'team:t1' });
      await queue('A', 'bob', 2, { quota_owner: 'team:t1' });
      await queue('A', 'carol', 2);
      const claimed = await claimAll(6);
      assert.equal(claimed.length, 3, `the competition's cap of 3: ${claimed.join()}`);
      assert.deepEqual(claimed.map((w) => (w === 'A/bob' ? 'A/alice' : w)).sort(), ['A/alice', 'A/carol', 'A/flood'], 'one run per entrant');
      // Finishing the flood's run frees a slot for the flood again (nobody else is under their cap).
      const [floodRun] = await db.selectFrom('submissions').select('id').where('user_id', '=', 'flood').where('status', '=', 'running').execute();
      await finish(floodRun?.id ?? '');
      assert.deepEqual(await claimAll(2), ['A/flood']);
    });

    it('never passes a cap when many workers claim at the same moment', async () => {
      await db.updateTable('competitions').set({ max_running: 2 }).where('id', '=', 'A').execute();
      await queue('A', 'flood', 12);
      const rows = await Promise.all(Array.from({ length: 10 }, (_, i) => repo.claim(`racer${i}`, 60_000)));
      assert.equal(rows.filter(Boolean).length, 2);
      const running = await db.selectFrom('submissions').select('id').where('status', '=', 'running').execute();
      assert.equal(running.length, 2);
    });

    it("runs a host's re-run of everything after the participants' own runs, without starving them", async () => {
      await queue('A', 'host', 20, { background: 1 });
      await queue('A', 'alice', 1);
      await queue('A', 'flood', 1);
      const first = await claimAll(3);
      assert.deepEqual(first.slice(0, 2).sort(), ['A/alice', 'A/flood']);
      assert.equal(first[2], 'A/host', 'with no participant waiting, the re-run goes on');
    });
  });
}
