import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { CompetitionConfig, PhaseOwn } from '../domain/competition.js';
import type { Limits } from '../domain/limits.js';
import { CompetitionsRepo } from './competitions-repo.js';
import { createDatabase } from './create-database.js';
import type { Database } from './schema.js';
import { SubmissionsRepo } from './submissions-repo.js';
import { queuedRow, testDialects, type TestDatabase } from './test-databases.case.js';

const GiB = 2 ** 30;
const limits = (l: Partial<Limits>): Limits => ({ wallTimeMs: 60_000, memoryBytes: GiB, cpus: 1, pids: 64, outputBytes: 1e6, logBytes: 1e6, gpus: 0, ...l });

/** A competition of two phases, `dev` and `final`, with what each phase owns; what the claim reads of it only. */
function config(slug: string, competitionLimits: Limits, own: { dev?: PhaseOwn; final?: PhaseOwn }): CompetitionConfig {
  const phase = (name: 'dev' | 'final', start: number) => ({ name, start: new Date(start), end: new Date(start + 1), dailyQuota: 5, ...(own[name] ? { own: own[name] } : {}) });
  return { slug, title: slug, runtime: 'host', limits: competitionLimits, phases: [phase('dev', 0), phase('final', 1)] } as CompetitionConfig;
}

for (const dialect of testDialects) {
  describe(`claims by the needs of the submission's phase, on ${dialect.name}`, { skip: dialect.skip }, () => {
    let test: TestDatabase;
    let db: Kysely<Database>;
    let submissions: SubmissionsRepo;
    let competitions: CompetitionsRepo;
    let createdAt = 0;

    beforeEach(async () => {
      test = await dialect.create();
      const opened = await createDatabase(test.url);
      db = opened.db;
      submissions = new SubmissionsRepo(db, opened.dialect);
      competitions = new CompetitionsRepo(db);
      await db.insertInto('users').values({ id: 'u1', username: 'u1', password_hash: 'x', role: 'participant', created_at: '2026-01-01T00:00:00.000Z' }).execute();
    });
    afterEach(async () => {
      await db.destroy();
      await test.drop();
    });

    async function install(c: CompetitionConfig): Promise<string> {
      return (await competitions.upsert({ id: randomUUID(), config: c, bundleKey: 'b', bundleDigest: 'd' })).id;
    }
    /** A queued submission of `phase`; each one later than the one before (claims go oldest first). */
    async function queue(competitionId: string, phase: string): Promise<string> {
      const row = await submissions.insertWithinQuota(queuedRow(new Date(Date.UTC(2026, 0, 1, 0, 0, ++createdAt)).toISOString(), competitionId, phase), 5);
      return row.id;
    }
    const small = { cpus: 2, memoryBytes: 4 * GiB, gpus: 0 };

    it("a phase that needs more than the competition (GPUs, memory) is left to a worker that has them", async () => {
      const id = await install(config('gpu-final', limits({}), { final: { limits: limits({ gpus: 1, memoryBytes: 16 * GiB }) } }));
      const final = await queue(id, 'final');
      const dev = await queue(id, 'dev');
      assert.equal((await submissions.claim('small', 60_000, { free: small }))?.id, dev, 'the older final submission does not fit');
      assert.equal(await submissions.claim('small', 60_000, { free: small }), undefined);
      assert.equal(await submissions.claim('gpu-little-memory', 60_000, { free: { ...small, gpus: 1 } }), undefined, 'a GPU but too little memory');
      assert.equal((await submissions.claim('big', 60_000, { free: { cpus: 8, memoryBytes: 32 * GiB, gpus: 1 } }))?.id, final);
    });

    it('a phase that needs less than the competition is claimed by a worker too small for the competition', async () => {
      const id = await install(config('light-dev', limits({ gpus: 1, memoryBytes: 16 * GiB }), { dev: { limits: limits({}) } }));
      const final = await queue(id, 'final');
      const dev = await queue(id, 'dev');
      assert.equal((await submissions.claim('small', 60_000, { free: small }))?.id, dev);
      assert.equal(await submissions.claim('small', 60_000, { free: small }), undefined, 'the final phase keeps the competition\'s needs');
      assert.equal((await submissions.claim('big', 60_000, { free: { cpus: 8, memoryBytes: 32 * GiB, gpus: 1 } }))?.id, final);
    });

    it("a phase's own runtime decides which workers may take it", async () => {
      const id = await install(config('image-final', limits({}), { final: { runtime: { name: 'tiny', digest: `sha256:${'a'.repeat(64)}` } } }));
      const final = await queue(id, 'final');
      const dev = await queue(id, 'dev');
      assert.equal((await submissions.claim('host-only', 60_000, { runtimes: ['host'] }))?.id, dev);
      assert.equal(await submissions.claim('host-only', 60_000, { runtimes: ['host'] }), undefined);
      assert.equal((await submissions.claim('images', 60_000, { runtimes: ['tiny'], free: small }))?.id, final);
    });

    it("a worker that cannot mount a host's harness (kubernetes) leaves a competition with one to the others, in every phase", async () => {
      const harnessed = { ...config('harnessed', limits({}), { final: { limits: limits({}) } }), harness: { command: ['python3', '/harness/run.py'] } } as CompetitionConfig;
      const harnessedId = await install(harnessed);
      const plainId = await install(config('plain', limits({}), {}));
      const inHarness = [await queue(harnessedId, 'dev'), await queue(harnessedId, 'final')];
      const plain = await queue(plainId, 'dev');
      assert.equal((await submissions.claim('pods', 60_000, { harness: false, free: small, runtimes: ['host'] }))?.id, plain);
      assert.equal(await submissions.claim('pods', 60_000, { harness: false }), undefined);
      assert.equal((await submissions.claim('sandbox', 60_000, { free: small }))?.id, inHarness[0]);
      assert.equal((await submissions.claim('sandbox', 60_000, { harness: true }))?.id, inHarness[1]);
      // The host drops the harness: its submissions are anyone's again.
      await competitions.upsert({ id: harnessedId, config: config('harnessed', limits({}), {}), bundleKey: 'b', bundleDigest: 'd2' });
      assert.equal(Number((await db.selectFrom('competitions').select('needs_harness').where('id', '=', harnessedId).executeTakeFirstOrThrow()).needs_harness), 0);
    });

    it("a reinstall replaces the phases' needs; a submission of a phase since removed goes by the competition's", async () => {
      const c = config('changing', limits({}), { final: { limits: limits({ gpus: 1 }) } });
      const id = await install(c);
      const final = await queue(id, 'final');
      const gone = await queue(id, 'removed');
      assert.equal((await submissions.claim('small', 60_000, { free: small }))?.id, gone);
      assert.equal(await submissions.claim('small', 60_000, { free: small }), undefined);
      // The host drops the final phase's GPU: the queued final submission fits a small worker now.
      await competitions.upsert({ id, config: config('changing', limits({}), {}), bundleKey: 'b', bundleDigest: 'd2' });
      assert.equal((await submissions.claim('small', 60_000, { free: small }))?.id, final);
      assert.deepEqual((await db.selectFrom('phase_needs').select(['phase', 'need_gpus']).where('competition_id', '=', id).orderBy('phase').execute()).map((r) => [r.phase, Number(r.need_gpus)]), [['dev', 0], ['final', 0]]);
    });
  });
}
