import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadBundle } from '../../src/bundle/load-bundle.js';
import { logTailBytes } from '../../src/domain/log-visibility.js';
import { demoBundle } from '../helpers/holdout-server.js';
import { startBench, type AttackBench } from './attack-harness.js';

/** GET /api/submissions/:id/logs as `token`. */
async function logsAs(b: AttackBench, id: string, token: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${b.h.url}/api/submissions/${id}/logs`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, text: await res.text() };
}

/** The `log` events of a finished submission's event stream. */
async function streamedLog(b: AttackBench, id: string, token: string): Promise<string> {
  const res = await fetch(`${b.h.url}/api/submissions/${id}/events`, { headers: { authorization: `Bearer ${token}` } });
  return (await res.text()).split('\n\n').filter((block) => block.startsWith('event: log')).join('\n');
}

/** Runs the chatty failure as a full and a smoke run under one `logs:` setting. */
async function runBoth(yaml: string): Promise<{ b: AttackBench; token: string; full: string; smoke: string; views: Record<string, Record<string, unknown>> }> {
  const b = await startBench({ yaml });
  const token = `tok-${randomUUID()}`;
  const full = await b.submit('chatty-failure', { settings: { token, lines: 400 } });
  const smoke = await b.submit('chatty-failure', { settings: { token, lines: 400 }, query: '?kind=smoke' });
  const views = { full: await b.final(full), smoke: await b.final(smoke) };
  return { b, token, full, smoke, views };
}

describe('logs shown to participants', () => {
  describe('by default: full runs show only the reason, smoke runs their whole log', () => {
    let r: Awaited<ReturnType<typeof runBoth>>;
    before(async () => {
      r = await runBoth('');
    });
    after(() => r.b.close());

    it('gives a full run a plain reason without any log line', () => {
      assert.equal(r.views.full?.reason, 'nonzero_exit');
      assert.equal(r.views.full?.message, '"python main.py" exited with code 3');
    });

    it("refuses a full run's log to its participant, not to an admin", async () => {
      const mine = await logsAs(r.b, r.full, r.b.token);
      assert.equal(mine.status, 403);
      assert.match(mine.text, /does not show the logs of full runs, which can leak test data/);
      assert.equal(mine.text.includes(r.token), false);
      const admin = await logsAs(r.b, r.full, await r.b.h.admin());
      assert.equal(admin.status, 200);
      assert.ok(admin.text.includes(`last words ${r.token}`));
    });

    it("streams no line of a full run's log", async () => {
      assert.equal(await streamedLog(r.b, r.full, r.b.token), '');
    });

    it('gives a smoke run its last log line in the message and its whole log', async () => {
      assert.equal(r.views.smoke?.message, `"python main.py" exited with code 3; last log line: last words ${r.token}`);
      const mine = await logsAs(r.b, r.smoke, r.b.token);
      assert.equal(mine.status, 200);
      assert.equal(mine.text, await r.b.storedLog(r.smoke));
    });
  });

  describe('"tail" for full runs, "reason-only" for smoke runs', () => {
    let r: Awaited<ReturnType<typeof runBoth>>;
    before(async () => {
      r = await runBoth('logs: { full_runs: tail, smoke_runs: reason-only }');
    });
    after(() => r.b.close());

    it('shows a full run the last lines of its log, and the last one in the message', async () => {
      assert.equal(r.views.full?.message, `"python main.py" exited with code 3; last log line: last words ${r.token}`);
      const mine = await logsAs(r.b, r.full, r.b.token);
      assert.equal(mine.status, 200);
      const stored = await r.b.storedLog(r.full);
      assert.ok(Buffer.byteLength(stored) > logTailBytes, 'the log is longer than its tail');
      assert.ok(Buffer.byteLength(mine.text) <= logTailBytes, `${Buffer.byteLength(mine.text)} bytes shown`);
      assert.ok(stored.endsWith(mine.text) && mine.text.startsWith('row '), 'whole lines from the end');
      assert.equal(await streamedLog(r.b, r.full, r.b.token), '', 'a tail is not streamed live');
    });

    it('shows a smoke run only its reason', async () => {
      assert.equal(r.views.smoke?.message, '"python main.py" exited with code 3');
      assert.equal((await logsAs(r.b, r.smoke, r.b.token)).status, 403);
    });
  });

  it('refuses an unknown setting when the bundle is loaded', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-logs-'));
    try {
      await cp(demoBundle, dir, { recursive: true });
      const yaml = path.join(dir, 'competition.yaml');
      await writeFile(yaml, `${await readFile(yaml, 'utf8')}logs: { full_runs: everything }\n`);
      await assert.rejects(loadBundle(dir), /logs\.full_runs.*expected one of "reason-only", "tail", "full", got "everything"/s);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
