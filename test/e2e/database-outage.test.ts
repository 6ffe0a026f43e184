import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/app/config.js';
import { createContext } from '../../src/app/context.js';
import { buildServer } from '../../src/server/build-server.js';
import { testDialects } from '../../src/db/test-databases.case.js';
import { startHoldout, upload, type TestHoldout } from '../helpers/holdout-server.js';
import { startRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/*
 * PostgreSQL restarts, fails over or drops off the network: the worker processes reach it through
 * a relay that the test cuts (every connection dropped, new ones closed at once) while runs are in
 * progress, then restores. The outage is shorter than a lease, so nobody takes a run over: the
 * runs that end in it must be recorded once the database is back, not counted as failures and
 * run again. No worker crashes, and they still drain cleanly afterwards.
 */
const LEASE_MS = 10_000;
const OUTAGE_MS = 4000;
const SUBMISSIONS = 12;
const postgres = testDialects.find((d) => d.name === 'postgres');

/** A second Holdout server on the same data, whose database connections go through `databaseUrl`. */
async function serveThrough(databaseUrl: string, dataDir: string): Promise<{ url: string; close(): Promise<void> }> {
  const ctx = await createContext(loadConfig({}, { dataDir, databaseUrl, port: 0, workers: 0 }), pino({ level: 'silent' }));
  const app = await buildServer(ctx);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    close: async () => {
      await app.close();
      await ctx.close();
    },
  };
}

describe('the database goes away while workers run, and comes back', { skip: postgres?.skip ?? 'no PostgreSQL dialect' }, () => {
  let h: TestHoldout;
  let relay: TcpRelay;
  let server: { url: string; close(): Promise<void> };
  const workers: WorkerProcess[] = [];

  before(async () => {
    h = await startHoldout({
      ...(postgres ? { dialect: postgres } : {}),
      config: { workers: 0, leaseMs: LEASE_MS },
      editYaml: (y) => y.replace(/daily_quota: \d+/, `daily_quota: ${SUBMISSIONS}`),
    });
    const db = new URL(h.ctx.config.databaseUrl);
    relay = await startRelay('127.0.0.1', { host: db.hostname, port: Number(db.port) });
    db.port = String(relay.port);
    server = await serveThrough(db.toString(), h.dataDir);
    for (let i = 0; i < 2; i++) {
      workers.push(await spawnWorker({ dataDir: h.dataDir, databaseUrl: db.toString(), concurrency: 2, env: { HOLDOUT_LEASE_MS: String(LEASE_MS) } }));
    }
  });
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await server?.close();
    await relay?.close();
    await h?.close();
  });

  it('loses no submission, scores none twice, the workers stay up and drain cleanly, and the server answers 503 meanwhile', async (t) => {
    const token = await h.participant();
    const zip = await trivialSubmission({ sleepSeconds: 1.5 });
    const ids: string[] = [];
    for (let i = 0; i < SUBMISSIONS; i++) {
      const sent = await upload(h.url, token, 'digits', zip);
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      ids.push(String(sent.body.id));
    }
    const statuses = async () => (await h.ctx.db.selectFrom('submissions').select(['id', 'status']).execute()).map((r) => r.status);
    for (let i = 0; !(await statuses()).includes('running'); i++) {
      assert.ok(i < 300, 'a run started');
      await new Promise((r) => setTimeout(r, 100));
    }

    relay.cut();
    // A server on the same database answers 503 with when to try again, not a bare 500.
    const refused = await fetch(`${server.url}/api/competitions`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '30');
    assert.equal(((await refused.json()) as { error: string }).error, 'database_unavailable');
    const notReady = await fetch(`${server.url}/readyz`);
    assert.deepEqual([notReady.status, await notReady.json()], [503, { ready: false, database: 'unreachable', blobs: 'ok' }]);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const during = await statuses();
    relay.restore();
    assert.equal((await fetch(`${server.url}/api/competitions`)).status, 200, 'the server is back with the database');
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.deepEqual(workers.filter((w) => w.proc.exitCode !== null || w.proc.signalCode !== null).map((w) => w.id), [], 'no worker ended in the outage');
    assert.ok(during.some((s) => s === 'queued' || s === 'running'), 'the outage caught work in progress');

    for (let i = 0; ; i++) {
      const open = (await statuses()).filter((s) => !['scored', 'failed', 'cancelled'].includes(s));
      if (open.length === 0) break;
      assert.ok(i < 1200, `still open 2 minutes after the outage: ${open.join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows = await h.ctx.db.selectFrom('submissions').selectAll().execute();
    assert.deepEqual(rows.filter((r) => r.status !== 'scored').map((r) => [r.id, r.status, r.reason, r.message]), [], 'every submission scored');
    assert.ok(rows.every((r) => r.lease_owner === null), 'no lease left behind');
    const attempts = await h.ctx.db.selectFrom('submission_attempts').selectAll().execute();
    for (const id of ids) {
      const mine = attempts.filter((a) => a.submission_id === id);
      assert.equal(mine.filter((a) => a.outcome === 'scored').length, 1, `${id} recorded once: ${JSON.stringify(mine)}`);
      assert.ok(mine.every((a) => a.outcome !== null), `${id} has no attempt left open`);
    }
    // Runs that ended in the outage were recorded late, not failed and queued again.
    const logs = workers.flatMap((w) => w.logs);
    const said = [...new Set(logs.filter((l) => Number(l.level) >= 40).map((l) => String(l.msg)))];
    t.diagnostic(`${attempts.length} attempts for ${SUBMISSIONS} submissions; the workers said: ${said.join('; ')}`);
    assert.deepEqual(attempts.filter((a) => a.outcome === 'requeued').map((a) => a.message), [], 'no attempt failed for the outage');
    assert.deepEqual(logs.filter((l) => l.msg === 'infrastructure failure' || l.msg === 'worker loop failed'), []);
    assert.ok(said.some((m) => m.endsWith('failed; trying again')), 'a run ended in the outage and its record was tried again');

    await Promise.all(workers.map(async (w) => {
      w.kill('SIGTERM');
      assert.equal(await w.exited, 0, `worker ${w.id} did not drain cleanly:\n${w.stderr()}`);
    }));
  });
});
