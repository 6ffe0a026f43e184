/**
 * Throughput on PostgreSQL: submissions per minute, end to end (claim → fetch → unzip → sandboxed
 * run → score → record), with 1, 2 and 4 `holdout worker` processes side by side, for trivial
 * submissions (CPU-bound: what the machine can do) and for submissions that sleep (waiting-bound:
 * what the queue and leases let the workers do); then the cost of one claim with 100 and with
 * 100,000 submissions queued.
 *
 *   npm run bench:throughput [-- --submissions 120 --sleepers 40 --sleep 0.5 --workers 1,2,4]
 *
 * The npm script starts a throwaway PostgreSQL cluster (scripts/with-postgres.sh --durable); run
 * directly, the bench needs HOLDOUT_TEST_POSTGRES_URL.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createDatabase } from '../../src/db/create-database.js';
import { SubmissionsRepo } from '../../src/db/submissions-repo.js';
import { testDialects, type TestDialect } from '../../src/db/test-databases.case.js';
import { startHoldout, upload } from '../../test/helpers/holdout-server.js';
import { trivialSubmission } from '../../test/helpers/trivial-submission.js';
import { spawnWorker } from '../../test/helpers/worker-process.js';

const { values } = parseArgs({
  options: {
    submissions: { type: 'string', default: '120' },
    sleepers: { type: 'string', default: '40' },
    sleep: { type: 'string', default: '0.5' },
    workers: { type: 'string', default: '1,2,4' },
  },
});
const workerCounts = values.workers.split(',').map(Number);
const dialect = (name: string): TestDialect => {
  const d = testDialects.find((x) => x.name === name);
  if (!d || d.skip) throw new Error(`${name}: ${d?.skip || 'unknown dialect'}`);
  return d;
};
const postgres = dialect('postgres');

interface Result {
  workers: number;
  perMinute: number;
  seconds: number;
  medianRunMs: number;
  cpuBusy: number;
}

/** Queues `submissions` submissions sleeping `sleepSeconds`, then lets `workers` processes drain the queue. */
async function throughput(workers: number, submissions: number, sleepSeconds: number): Promise<Result> {
  const h = await startHoldout({ dialect: postgres, config: { workers: 0, logLevel: 'silent' }, editYaml: (y) => y.replace(/daily_quota: \d+/, `daily_quota: ${submissions}`) });
  try {
    const token = await h.participant('bench');
    const zip = await trivialSubmission({ sleepSeconds });
    for (let i = 0; i < submissions; i++) {
      const sent = await upload(h.url, token, 'digits', zip);
      if (sent.status !== 201) throw new Error(`upload failed: ${JSON.stringify(sent.body)}`);
    }
    const procs = await Promise.all(Array.from({ length: workers }, () => spawnWorker({ dataDir: h.dataDir, databaseUrl: h.ctx.config.databaseUrl })));
    const cpuBefore = await cpuTimes();
    let cpuAfter = cpuBefore;
    try {
      for (;;) {
        const left = await h.ctx.db.selectFrom('submissions').select('id').where('status', 'not in', ['scored', 'failed']).execute();
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      cpuAfter = await cpuTimes();
    } finally {
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.map((p) => p.exited));
    }
    const rows = await h.ctx.db.selectFrom('submissions').select(['status', 'reason', 'run_ms', 'finished_at']).execute();
    const failed = rows.filter((r) => r.status !== 'scored');
    if (failed.length > 0) throw new Error(`${failed.length} failed, e.g. ${failed[0]?.reason}`);
    // From the first claim to the last recorded result: worker start-up is not counted.
    const first = await h.ctx.db.selectFrom('submission_attempts').select((eb) => eb.fn.min('claimed_at').as('t')).executeTakeFirstOrThrow();
    const last = Math.max(...rows.map((r) => Date.parse(r.finished_at ?? '')));
    const seconds = (last - Date.parse(String(first.t))) / 1000;
    const runs = rows.map((r) => r.run_ms ?? 0).sort((a, b) => a - b);
    const cpuBusy = (cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total);
    return { workers, perMinute: (submissions / seconds) * 60, seconds, medianRunMs: runs[Math.floor(runs.length / 2)] ?? Number.NaN, cpuBusy };
  } finally {
    await h.close();
  }
}

/** Jiffies of all CPUs since boot, from /proc/stat: how busy the machine was while workers ran. */
async function cpuTimes(): Promise<{ busy: number; total: number }> {
  const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]?.trim().split(/\s+/) ?? [];
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields.map(Number);
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Median time of `n` claims with `queued` submissions waiting, on a database of `d`. */
async function claimCost(d: TestDialect, depths: number[], n = 50): Promise<number[]> {
  const test = await d.create();
  const { db, dialect: dbDialect } = await createDatabase(test.url);
  try {
    const repo = new SubmissionsRepo(db, dbDialect);
    await db.insertInto('users').values({ id: 'u', username: 'u', password_hash: 'x', role: 'participant', created_at: '2026-01-01T00:00:00.000Z' }).execute();
    const c = { title: 'c', config_json: '{}', bundle_key: 'b', bundle_digest: 'd', created_at: 'x', updated_at: 'x', runtime: 'host' };
    await db.insertInto('competitions').values({ id: 'c', slug: 'c', ...c }).execute();
    const medians: number[] = [];
    let inserted = 0;
    for (const depth of depths) {
      // Top up to `depth` queued rows (the claims below took `n` of the previous level's).
      const add = depth - inserted + (medians.length > 0 ? n : 0);
      for (let i = 0; i < add; i += 1000) {
        const batch = Array.from({ length: Math.min(1000, add - i) }, () => {
          const slot = inserted++;
          return {
            id: randomUUID(), competition_id: 'c', user_id: 'u', phase: 'p', kind: 'full' as const, status: 'queued' as const, reason: null,
            message: null, zip_key: 'k', zip_bytes: 1, created_at: new Date(Date.UTC(2026, 0, 1) + slot).toISOString(), started_at: null,
            finished_at: null, run_ms: null, exit_code: null, public_scores: null, private_scores: null, public_primary: null,
            private_primary: null, log_key: null, log_bytes: null, lease_owner: null, lease_expires_at: null, quota_day: 'd', quota_slot: slot,
          };
        });
        await db.insertInto('submissions').values(batch).execute();
      }
      // Fresh planner statistics, as autovacuum's analyze keeps them: on PostgreSQL, statistics of the
      // 100-row table would plan a sort of the whole queue (~40 ms a claim at 100,000) until then.
      if (d.name === 'postgres') await sql`analyze submissions`.execute(db);
      const free = { cpus: 2, memoryBytes: 2 ** 34, gpus: 0 };
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        if (!(await repo.claim('bench', 60_000, { free }))) throw new Error('nothing to claim');
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      medians.push(times[Math.floor(n / 2)] ?? Number.NaN);
    }
    return medians;
  } finally {
    await db.destroy();
    await test.drop();
  }
}

async function table(title: string, submissions: number, sleepSeconds: number): Promise<void> {
  const results: Result[] = [];
  for (const workers of values.workers.split(',').map(Number)) results.push(await throughput(workers, submissions, sleepSeconds));
  const base = results[0]?.perMinute ?? Number.NaN;
  console.log(`\n${title}\n`);
  console.log('| worker processes | submissions/min | speed-up | drain time (s) | median run (ms) | CPUs busy |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const cells = [r.workers, r.perMinute.toFixed(0), `${(r.perMinute / base).toFixed(2)}×`, r.seconds.toFixed(1), r.medianRunMs.toFixed(0), `${(r.cpuBusy * 100).toFixed(0)}%`];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

console.log(`Holdout throughput on PostgreSQL (${availableParallelism()} CPUs, load average ${loadavg()[0]?.toFixed(1)} at the start)`);
await table(`${values.submissions} trivial submissions (one csv pass over the test ids)`, Number(values.submissions), 0);
await table(`${values.sleepers} submissions that sleep ${values.sleep} s first`, Number(values.sleepers), Number(values.sleep));

const depths = [100, 100_000];
const pg = await claimCost(postgres, depths);
const lite = await claimCost(dialect('sqlite'), depths);
console.log('\nOne claim (median of 50), by queue depth\n');
console.log('| queued submissions | PostgreSQL (ms) | SQLite (ms) |');
console.log('|---:|---:|---:|');
depths.forEach((d, i) => console.log(`| ${d.toLocaleString('en')} | ${pg[i]?.toFixed(2)} | ${lite[i]?.toFixed(2)} |`));
