import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely, KyselyPlugin } from 'kysely';
import type { CompetitionConfig } from '../domain/competition.js';
import { CompetitionsRepo } from '../db/competitions-repo.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/schema.js';
import { queuedRow, testDialects, type TestDatabase } from '../db/test-databases.case.js';
import { RunEndFeed, type RunEnded } from './run-end-feed.js';

/** Counts the statements that read submissions: the feed's looks. */
function counting(): { plugin: KyselyPlugin; reads: () => number } {
  let reads = 0;
  return {
    plugin: {
      transformQuery: (args) => {
        if (args.node.kind === 'SelectQueryNode') reads++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    },
    reads: () => reads,
  };
}

for (const dialect of testDialects) {
  describe(`the feed of ended runs behind /api/me/events, on ${dialect.name}`, { skip: dialect.skip }, () => {
    let test: TestDatabase;
    let db: Kysely<Database>;
    let competitionId: string;
    let feed: RunEndFeed | undefined;

    beforeEach(async () => {
      test = await dialect.create();
      db = (await createDatabase(test.url)).db;
      for (const id of ['ada', 'bob']) await db.insertInto('users').values({ id, username: id, password_hash: 'x', role: 'participant', created_at: '2026-01-01T00:00:00.000Z' }).execute();
      const config = { slug: 'feed', title: 'The feed', runtime: 'host', limits: { wallTimeMs: 1, memoryBytes: 1, cpus: 1, pids: 1, outputBytes: 1, logBytes: 1, gpus: 0 }, phases: [] } as unknown as CompetitionConfig;
      competitionId = (await new CompetitionsRepo(db).upsert({ id: randomUUID(), config, bundleKey: 'b', bundleDigest: 'd' })).id;
    });
    afterEach(async () => {
      feed?.stop();
      await feed?.settled();
      await db.destroy();
      await test.drop();
    });

    /** A run of `userId` that ended at `finishedAt` (now by default). */
    let slot = 0;
    async function ended(userId: string, status: 'scored' | 'failed', finishedAt = new Date()): Promise<string> {
      const row = { quota_slot: ++slot, ...queuedRow(finishedAt.toISOString(), competitionId), user_id: userId, status, finished_at: finishedAt.toISOString(), public_primary: status === 'scored' ? 0.5 : null };
      await db.insertInto('submissions').values(row).execute();
      return row.id;
    }
    const look = async (f: RunEndFeed) => {
      f.look();
      await f.settled();
    };

    it('one reading per look for every open stream; each stream gets its own user\'s ends, once', async () => {
      const { plugin, reads } = counting();
      feed = new RunEndFeed(db.withPlugin(plugin), (err) => assert.fail(String(err)), 60_000);
      const got = new Map<string, RunEnded[]>();
      const stream = (name: string, userId: string) => feed!.subscribe(userId, (e) => got.set(name, [...(got.get(name) ?? []), e]), new Date(Date.now() - 5_000));
      for (let i = 0; i < 3; i++) stream(`ada-${i}`, 'ada');
      stream('bob', 'bob');
      const adaRun = await ended('ada', 'scored');
      const bobRun = await ended('bob', 'failed');
      const before = reads();
      await look(feed);
      assert.equal(reads() - before, 1, 'one statement for four streams of two users');
      await look(feed);
      for (let i = 0; i < 3; i++) assert.deepEqual(got.get(`ada-${i}`)?.map((e) => [e.id, e.status, e.publicScore, e.competition.slug]), [[adaRun, 'scored', 0.5, 'feed']]);
      assert.deepEqual(got.get('bob')?.map((e) => [e.id, e.status, e.publicScore]), [[bobRun, 'failed', null]]);
    });

    it('a run that ended before the stream opened is not news to it', async () => {
      feed = new RunEndFeed(db, (err) => assert.fail(String(err)), 60_000);
      await ended('ada', 'scored', new Date(Date.now() - 10_000));
      const got: RunEnded[] = [];
      feed.subscribe('ada', (e) => got.push(e));
      await look(feed);
      assert.equal(got.length, 0);
      const later = await ended('ada', 'scored');
      await look(feed);
      assert.deepEqual(got.map((e) => e.id), [later]);
    });

    it('reads nothing while no stream is open, and again once one opens', async () => {
      const { plugin, reads } = counting();
      feed = new RunEndFeed(db.withPlugin(plugin), (err) => assert.fail(String(err)), 20);
      const close = feed.subscribe('ada', () => {});
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(reads() > 0, 'it polls while a stream is open');
      close();
      await feed.settled();
      const after = reads();
      await new Promise((r) => setTimeout(r, 100));
      feed.look();
      assert.equal(reads(), after, 'no stream, no reading');
      const got: RunEnded[] = [];
      feed.subscribe('ada', (e) => void got.push(e));
      const run = await ended('ada', 'scored');
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(got.map((e) => e.id), [run]);
    });
  });
}
