import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { CompetitionConfig, PhaseOwn } from '../domain/competition.js';
import type { Limits } from '../domain/limits.js';
import { phaseConfig } from '../domain/phases.js';
import { serializeConfig } from './competitions-repo.js';
import { dialectFor } from './create-database.js';
import { migrateTo, migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';
import { SubmissionsRepo } from './submissions-repo.js';
import { queuedRow, testDialects, type TestDatabase } from './test-databases.case.js';

const GiB = 2 ** 30;
const limits = (l: Partial<Limits>): Limits => ({ wallTimeMs: 60_000, memoryBytes: GiB, cpus: 1, pids: 64, outputBytes: 1e6, logBytes: 1e6, gpus: 0, ...l });
const tiny = { name: 'tiny', digest: `sha256:${'a'.repeat(64)}`, image: 'registry.example/tiny@sha256:' + 'b'.repeat(64) };

/** A competition of two phases, `dev` and `final`, with what each phase owns (as installs stored it). */
function config(slug: string, competitionLimits: Limits, own: { dev?: PhaseOwn; final?: PhaseOwn }): CompetitionConfig {
  const phase = (name: 'dev' | 'final', start: number) => ({ name, start: new Date(start), end: new Date(start + 1), dailyQuota: 5, ...(own[name] ? { own: own[name] } : {}) });
  return { slug, title: slug, runtime: 'host', limits: competitionLimits, phases: [phase('dev', 0), phase('final', 1)] } as CompetitionConfig;
}

/** Migration 0181 on a database that had competitions and queued submissions before it. */
for (const dialect of testDialects) {
  describe(`migration 0181 backfills phase_needs of existing competitions, on ${dialect.name}`, { skip: dialect.skip }, () => {
    let test: TestDatabase;
    let db: Kysely<Database>;
    let submissions: SubmissionsRepo;
    let createdAt = 0;

    beforeEach(async () => {
      test = await dialect.create();
      db = await dialectFor(test.url).open(test.url);
      await migrateTo(db as Kysely<unknown>, '0180_carried_submissions');
      submissions = new SubmissionsRepo(db, dialectFor(test.url));
      await db.insertInto('users').values({ id: 'u1', username: 'u1', password_hash: 'x', role: 'participant', created_at: '2026-01-01T00:00:00.000Z' }).execute();
    });
    afterEach(async () => {
      await db.destroy();
      await test.drop();
    });

    /** A competition row as CompetitionsRepo.upsert wrote it before 0181 (no phase_needs). */
    async function installedBefore(c: CompetitionConfig): Promise<string> {
      const id = randomUUID();
      const now = new Date().toISOString();
      await db.insertInto('competitions').values({
        id, slug: c.slug, title: c.title, config_json: serializeConfig(c), bundle_key: 'b', bundle_digest: 'd', data_images_json: null,
        need_cpus: c.limits.cpus, need_memory_bytes: c.limits.memoryBytes, need_gpus: c.limits.gpus, runtime: c.runtime,
        sched_weight: 1, max_running: null, max_running_per_entrant: null, created_at: now, updated_at: now,
      }).execute();
      return id;
    }
    async function queue(competitionId: string, phase: string): Promise<string> {
      const row = await submissions.insertWithinQuota(queuedRow(new Date(Date.UTC(2026, 0, 1, 0, 0, ++createdAt)).toISOString(), competitionId, phase), 5);
      return row.id;
    }

    it("writes each phase's needs as an install would (its own limits and runtime, else the competition's), and claims go by them", async () => {
      const own = config('own', limits({ cpus: 2, memoryBytes: 8 * GiB }), { dev: { runtime: tiny }, final: { limits: limits({ gpus: 1, memoryBytes: 16 * GiB, cpus: 0.5 }) } });
      const plain = config('plain', limits({ memoryBytes: 3 * GiB }), {});
      const ownId = await installedBefore(own);
      const plainId = await installedBefore(plain);
      const ownFinal = await queue(ownId, 'final');
      const ownDev = await queue(ownId, 'dev');
      const plainDev = await queue(plainId, 'dev');

      await migrateToLatest(db as Kysely<unknown>);

      const rows = await db.selectFrom('phase_needs').selectAll().orderBy('competition_id').orderBy('phase').execute();
      const actual = rows.map((r) => ({ ...r, need_cpus: Number(r.need_cpus), need_memory_bytes: Number(r.need_memory_bytes), need_gpus: Number(r.need_gpus) }));
      // What CompetitionsRepo.upsert writes for the same configuration.
      const expected = [[ownId, own], [plainId, plain]].flatMap(([id, c]) => (c as CompetitionConfig).phases.map((p) => {
        const { limits: l, runtime } = phaseConfig(c as CompetitionConfig, p.name);
        return { competition_id: id as string, phase: p.name, need_cpus: l.cpus, need_memory_bytes: l.memoryBytes, need_gpus: l.gpus, runtime };
      }));
      assert.deepEqual(actual, expected.sort((a, b) => (a.competition_id + a.phase).localeCompare(b.competition_id + b.phase)));

      // A host-only worker without a GPU: not the final phase (a GPU), not the dev phase (the tiny runtime).
      const small = { cpus: 2, memoryBytes: 8 * GiB, gpus: 0 };
      assert.equal((await submissions.claim('host-small', 60_000, { runtimes: ['host'], free: small }))?.id, plainDev);
      assert.equal(await submissions.claim('host-small', 60_000, { runtimes: ['host'], free: small }), undefined);
      assert.equal((await submissions.claim('tiny-small', 60_000, { runtimes: ['tiny'], free: small }))?.id, ownDev);
      assert.equal((await submissions.claim('gpu', 60_000, { runtimes: ['host'], free: { cpus: 1, memoryBytes: 16 * GiB, gpus: 1 } }))?.id, ownFinal, 'half a CPU of its own');
    });

    it("migration 0200 marks the competitions that run a host's harness, and a worker that cannot mount one leaves them", async () => {
      const withHarness = { ...config('harnessed', limits({}), {}), harness: { command: ['python3', '/harness/run.py'] } } as CompetitionConfig;
      const harnessedId = await installedBefore(withHarness);
      const plainId = await installedBefore(config('plain', limits({}), {}));
      const harnessed = await queue(harnessedId, 'dev');
      const plain = await queue(plainId, 'dev');
      await migrateToLatest(db as Kysely<unknown>);
      const marks = await db.selectFrom('competitions').select(['slug', 'needs_harness']).orderBy('slug').execute();
      assert.deepEqual(marks.map((m) => [m.slug, Number(m.needs_harness)]), [['harnessed', 1], ['plain', 0]]);
      assert.equal((await submissions.claim('pods', 60_000, { harness: false }))?.id, plain, 'the older harnessed one is passed over');
      assert.equal(await submissions.claim('pods', 60_000, { harness: false }), undefined);
      assert.equal((await submissions.claim('sandbox', 60_000, {}))?.id, harnessed);
    });

    it('a competition without phases gets no rows, and the migration still applies', async () => {
      const none = { ...config('none', limits({}), {}), phases: [] } as CompetitionConfig;
      await installedBefore(none);
      await migrateToLatest(db as Kysely<unknown>);
      assert.equal((await db.selectFrom('phase_needs').selectAll().execute()).length, 0);
    });
  });
}
