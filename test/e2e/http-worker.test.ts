import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { installCompetition } from '../../src/app/install-competition.js';
import { testDialects } from '../../src/db/test-databases.case.js';
import { demoBundle, repoRoot, startHoldout, type TestHoldout, upload, waitForFinal } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/*
 * Issue 16, part 2: outbound-only workers. A real server (no worker of its own) and
 * `holdout worker --server URL --token T` processes that reach nothing but its HTTP API: their
 * data folder is their own, and their database URL points nowhere. On SQLite, and on PostgreSQL
 * where scripts/with-postgres.sh provides it.
 */
const LEASE_MS = 2000;

/** Accuracy of predicting `label` everywhere on the public part: the score from scratch. */
async function publicAccuracy(label: number): Promise<number> {
  const rows = (await readFile(path.join(demoBundle, 'private', 'labels.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  const pub = rows.filter((r) => r[2] === 'Public');
  return pub.filter((r) => Number(r[1]) === label).length / pub.length;
}

async function api(h: TestHoldout, method: string, url: string, token: string, body?: unknown) {
  const res = await fetch(`${h.url}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

for (const dialect of testDialects) {
  describe(`outbound-only workers over the HTTP API (${dialect.name})`, { skip: dialect.skip }, () => {
    let h: TestHoldout;
    let hostToken: string;
    let workerToken: string;
    let tokenId: string;
    let participant: string;
    const workers: WorkerProcess[] = [];
    /** The worker of the end-to-end test, killed mid-run in the chaos test (each start costs seconds). */
    let resident: WorkerProcess | undefined;
    const workerDirs: string[] = [];

    /** A worker on "another machine": its own folder, no database, only the server's URL and the token. */
    const startWorker = async (extra: Record<string, string> = {}) => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'holdout-http-worker-'));
      workerDirs.push(dataDir);
      const w = await spawnWorker({
        dataDir,
        env: {
          HOLDOUT_SERVER: h.url,
          HOLDOUT_WORKER_TOKEN: workerToken,
          // Any database use would fail: nothing listens there.
          HOLDOUT_DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:9/none',
          HOLDOUT_LEASE_MS: String(LEASE_MS),
          ...extra,
        },
      });
      workers.push(w);
      return w;
    };

    before(async () => {
      h = await startHoldout({ dialect, config: { workers: 0, leaseMs: LEASE_MS }, editYaml: (y) => y.replace(/daily_quota: \d+/, 'daily_quota: 50') });
      // A second competition, which the host does not host: its queue and data are out of scope.
      const other = path.join(h.dataDir, 'other-bundle');
      await cp(demoBundle, other, { recursive: true });
      const yaml = path.join(other, 'competition.yaml');
      await writeFile(yaml, (await readFile(yaml, 'utf8')).replace(/^slug: digits$/m, 'slug: other'));
      await installCompetition(other, h.ctx);
      const admin = await h.admin();
      hostToken = await h.participant('http-host');
      assert.equal((await api(h, 'PUT', '/api/competitions/digits/hosts/http-host', admin)).status, 200);
      participant = await h.participant();
      for (const slug of ['digits', 'other']) assert.equal((await api(h, 'POST', `/api/competitions/${slug}/rules`, participant)).status, 200);
    });
    after(async () => {
      for (const w of workers) w.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await h.close();
      for (const d of workerDirs) await rm(d, { recursive: true, force: true });
    });

    it('a host creates a worker token for competitions they host, and for no other', async () => {
      const refused = await api(h, 'POST', '/api/worker-tokens', hostToken, { name: 'gpu box', competitions: ['digits', 'other'] });
      assert.equal(refused.status, 403);
      assert.match(String(refused.body.message), /only a host of "other"/);
      assert.equal((await api(h, 'POST', '/api/worker-tokens', hostToken, { name: 'x', competitions: ['nope'] })).status, 404);
      assert.equal((await api(h, 'POST', '/api/worker-tokens', participant, { name: 'x', competitions: ['digits'] })).status, 403);
      assert.equal((await api(h, 'POST', '/api/worker-tokens', hostToken, { name: 'x', competitions: [] })).status, 400);
      // The host's way: the CLI, with their API token.
      // Not spawnSync: the server answering it runs in this process.
      const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), '--json', 'worker-token', 'create', '--competition', 'digits', '--name', 'gpu box'], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', HOME: h.dataDir, HOLDOUT_SERVER: h.url, HOLDOUT_TOKEN: hostToken },
        encoding: 'utf8',
      });
      const created = JSON.parse(cli.stdout) as { id: string; token: string; competitions: string[] };
      workerToken = created.token;
      tokenId = created.id;
      assert.match(workerToken, /^hwk_/);
      assert.deepEqual(created.competitions, ['digits']);
      assert.deepEqual(((await api(h, 'GET', '/api/worker-tokens', hostToken)).body as unknown as { id: string }[]).map((t) => t.id), [tokenId]);
      // A worker token is nobody on the rest of the API, and a user's token is no worker.
      assert.equal((await api(h, 'GET', '/api/me', workerToken)).status, 401);
      assert.equal((await api(h, 'POST', '/api/worker/claim', hostToken, { workerId: 'w', leaseMs: 5000 })).status, 401);
      assert.equal((await api(h, 'POST', '/api/worker/claim', 'hwk_wrong', { workerId: 'w', leaseMs: 5000 })).status, 401);
    });

    it('an HTTP worker claims, runs and scores a submission; another competition\'s queue stays untouched', async () => {
      const worker = await startWorker();
      resident = worker;
      const otherZip = await trivialSubmission({ label: 2 });
      const otherUpload = await upload(h.url, participant, 'other', otherZip);
      assert.equal(otherUpload.status, 201);
      const res = await upload(h.url, participant, 'digits', await trivialSubmission({ label: 1 }));
      assert.equal(res.status, 201);
      const final = await waitForFinal(h.url, participant, String(res.body.id), 60_000);
      assert.equal(final.status, 'scored', JSON.stringify(final));
      const row = await h.ctx.submissions.get(String(res.body.id));
      assert.ok(Math.abs(Number(row?.public_primary) - (await publicAccuracy(1))) < 1e-12, `public score ${row?.public_primary}`);
      assert.equal(row?.lease_owner, null);
      // The attempt is recorded under the token's owner name, and the log is in the server's store.
      const attempts = await h.ctx.submissions.attemptsOf(String(res.body.id));
      assert.deepEqual(attempts.map((a) => [a.worker_id, a.outcome]), [[`${tokenId}/${worker.id}`, 'scored']]);
      assert.ok(await h.ctx.blobs.stat(`logs/${String(res.body.id)}.txt`));
      const listed = await h.ctx.workers.list(LEASE_MS * 3);
      assert.ok(listed.some((w) => w.id === `${tokenId}/${worker.id}` && w.alive), JSON.stringify(listed.map((w) => w.id)));
      assert.equal((await h.ctx.submissions.get(String(otherUpload.body.id)))?.status, 'queued');
      assert.equal(existsSync(path.join(workerDirs[0] ?? '', 'holdout.db')), false, 'the worker opened no database');

      // A late report for the run it held: refused, and nothing scored twice.
      const forged = await api(h, 'POST', `/api/worker/submissions/${String(res.body.id)}/finish`, workerToken, { workerId: worker.id, attempt: 1, result: { status: 'scored', publicPrimary: 0, privatePrimary: 0 } });
      assert.equal(forged.status, 409);
      assert.equal(forged.body.error, 'lease_not_held');
      assert.match(String(forged.body.message), new RegExp(`worker ${worker.id} does not hold submission .* it is scored.*nothing was recorded`));
      assert.equal((await h.ctx.submissions.get(String(res.body.id)))?.public_primary, row?.public_primary);
      assert.equal((await h.ctx.submissions.attemptsOf(String(res.body.id))).filter((a) => a.outcome === 'scored').length, 1);
    });

    it("a worker token is refused on another competition's queue, data and runs, with a message that says why", async () => {
      const scoped = await api(h, 'POST', '/api/worker/claim', workerToken, { workerId: 'w1', leaseMs: 5000, competitions: ['other'] });
      assert.equal(scoped.status, 403);
      assert.equal(scoped.body.error, 'out_of_scope');
      assert.match(String(scoped.body.message), /does not serve competition "other"/);
      const queued = (await h.ctx.db.selectFrom('submissions').selectAll().where('status', '=', 'queued').execute())[0];
      assert.ok(queued, 'the other competition\'s submission is still queued');
      const touch = await api(h, 'POST', `/api/worker/submissions/${queued.id}/finish`, workerToken, { workerId: 'w1', attempt: 1, result: { status: 'scored' } });
      assert.equal(touch.status, 403);
      assert.match(String(touch.body.message), /belongs to|"other"/);
      const other = await h.ctx.competitions.bySlug('other');
      assert.equal((await api(h, 'GET', `/api/worker/competitions/${other?.id}`, workerToken)).status, 403);
      const bundleFile = (await api(h, 'GET', `/api/worker/blob-list?prefix=${encodeURIComponent(other?.bundleKey ?? '')}`, workerToken));
      assert.equal(bundleFile.status, 403);
      assert.equal((await api(h, 'GET', `/api/worker/blobs?key=${encodeURIComponent(queued.zip_key)}`, workerToken)).status, 403);
      // Its own competition's code, too, only while one of its workers holds the run.
      const scored = (await h.ctx.db.selectFrom('submissions').selectAll().where('status', '=', 'scored').execute())[0];
      const zip = await api(h, 'GET', `/api/worker/blobs?key=${encodeURIComponent(scored?.zip_key ?? '')}`, workerToken);
      assert.equal(zip.status, 403);
      assert.match(String(zip.body.message), /only while one of its workers holds submission/);
      assert.equal((await h.ctx.submissions.get(queued.id))?.status, 'queued', 'nothing changed');
    });

    it('an HTTP worker killed mid-run: the lease runs out, another takes the run over, it is scored once', async () => {
      const first = resident ?? (await startWorker());
      const res = await upload(h.url, participant, 'digits', await trivialSubmission({ label: 3, sleepSeconds: 3 }));
      const id = String(res.body.id);
      for (let i = 0; (await h.ctx.submissions.get(id))?.status !== 'running'; i++) {
        assert.ok(i < 200, 'never started');
        await new Promise((r) => setTimeout(r, 100));
      }
      // The next worker starts while the first runs (a start takes seconds); the first dies mid-run.
      const starting = startWorker();
      await new Promise((r) => setTimeout(r, 500));
      first.kill('SIGKILL');
      await first.exited;
      const second = await starting;
      const final = await waitForFinal(h.url, participant, id, 60_000);
      assert.equal(final.status, 'scored', JSON.stringify(final));
      const attempts = await h.ctx.submissions.attemptsOf(id);
      assert.deepEqual(attempts.map((a) => [a.attempt, a.worker_id, a.outcome]), [
        [1, `${tokenId}/${first.id}`, 'lost'],
        [2, `${tokenId}/${second.id}`, 'scored'],
      ]);
      assert.ok(Math.abs(Number((await h.ctx.submissions.get(id))?.public_primary) - (await publicAccuracy(3))) < 1e-12);
      // SIGTERM drains an HTTP worker as it does a database worker: it deregisters and exits 0.
      second.kill('SIGTERM');
      assert.equal(await second.exited, 0, second.stderr());
      assert.equal((await h.ctx.workers.list(LEASE_MS * 3)).some((w) => w.id === `${tokenId}/${second.id}`), false, 'deregistered');
    });

    it("an HTTP worker runs a host's determinism check too, and reads and writes only the blobs of the check it holds", async () => {
      const worker = await startWorker();
      const sent = await upload(h.url, participant, 'digits', await trivialSubmission({ label: 4 }));
      const id = String(sent.body.id);
      assert.equal((await waitForFinal(h.url, participant, id, 60_000)).status, 'scored');
      const asked = await api(h, 'POST', `/api/submissions/${id}/determinism-checks`, hostToken, {});
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      const checkId = String(asked.body.id);
      let check: Record<string, unknown> = {};
      for (let i = 0; !['identical', 'different', 'failed'].includes(String(check.status)); i++) {
        assert.ok(i < 600, `check still ${String(check.status)}`);
        await new Promise((r) => setTimeout(r, 100));
        check = (await api(h, 'GET', `/api/submissions/${id}/determinism-checks/${checkId}`, hostToken)).body;
      }
      assert.equal(check.status, 'identical', JSON.stringify(check));
      assert.equal(check.worker, `${tokenId}/${worker.id}`, 'run by the HTTP worker, the only one alive');
      // Done: the re-run's blobs are gone, and the token reaches neither them nor the code any more.
      for (const key of [`logs/check-${checkId}.txt`, (await h.ctx.submissions.get(id))?.zip_key ?? '']) {
        const res = await api(h, 'GET', `/api/worker/blobs?key=${encodeURIComponent(key)}`, workerToken);
        assert.equal(res.status, 403, key);
      }
      assert.equal(await h.ctx.blobs.stat(`logs/check-${checkId}.txt`), undefined);
      const late = await api(h, 'POST', `/api/worker/checks/${checkId}/finish`, workerToken, { workerId: worker.id, attempt: 1, status: 'different', reason: 'forged', result: null });
      assert.equal(late.status, 409);
      assert.equal(late.body.error, 'lease_not_held');
      assert.equal((await api(h, 'GET', `/api/submissions/${id}/determinism-checks/${checkId}`, hostToken)).body.status, 'identical', 'nothing changed');
      worker.kill('SIGTERM');
      assert.equal(await worker.exited, 0, worker.stderr());
    });

    it('a revoked token stops its workers at the next call', async () => {
      assert.equal((await api(h, 'DELETE', `/api/worker-tokens/${tokenId}`, hostToken)).status, 204);
      const res = await api(h, 'POST', '/api/worker/claim', workerToken, { workerId: 'w1', leaseMs: 5000 });
      assert.equal(res.status, 401);
      assert.match(String(res.body.message), /revoked/);
    });
  });
}
