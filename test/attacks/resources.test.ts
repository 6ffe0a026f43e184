import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { processesWith } from '../../src/executors/executor-suite-harness.case.js';
import { truncationMarker } from '../../src/executors/host/log-sink.js';
import { logBytes, outputBytes, pidsLimit, reportOf, startBench, startSlackMs, wallTimeMs, type AttackBench, type SubmissionView } from './attack-harness.js';

/** Host processes running as one of the uids in `range`. */
async function processesOf(range: readonly [number, number]): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const uid = await stat(`/proc/${pid}`).then((s) => s.uid, () => -1);
    if (uid >= range[0] && uid <= range[1]) found.push(Number(pid));
  }
  return found;
}

/** A submission in flight: its id, when it was sent, and its final view. */
interface Pending {
  id: string;
  sentAt: number;
  done: Promise<{ view: SubmissionView; at: number }>;
}

describe('attack: resources', () => {
  let b: AttackBench;
  const orphanToken = `holdout-orphan-${randomUUID()}`;
  const pending = new Map<string, Pending>();

  async function send(fixture: string, settings?: Record<string, unknown>): Promise<void> {
    const sentAt = Date.now();
    const id = await b.submit(fixture, settings ? { settings } : {});
    const done = b.final(id).then((view) => ({ view, at: Date.now() }));
    done.catch(() => undefined); // awaited by its test
    pending.set(fixture, { id, sentAt, done });
  }
  async function finished(fixture: string): Promise<{ id: string; view: SubmissionView; elapsedMs: number }> {
    const p = pending.get(fixture);
    assert.ok(p, `${fixture} was submitted`);
    const { view, at } = await p.done;
    return { id: p.id, view, elapsedMs: at - p.sentAt };
  }

  before(async () => {
    b = await startBench();
    // The long one first, so that the others share the second worker slot while it runs.
    await send('infinite-loop');
    for (const f of ['memory-bomb', 'fork-bomb', 'disk-fill', 'tmp-fill', 'log-flood']) await send(f);
    await send('orphan', { token: orphanToken });
  });
  after(() => b.close());

  it('ends a memory bomb as out_of_memory', async () => {
    const { view } = await finished('memory-bomb');
    assert.equal(view.status, 'failed', JSON.stringify(view));
    assert.equal(view.reason, 'out_of_memory');
    assert.match(String(view.message), /memory limit of 256 MiB/);
  });

  it('holds a fork bomb at the process limit, and the run still ends', async () => {
    const { id, view } = await finished('fork-bomb');
    const { fork_bomb: bomb } = reportOf(await b.storedLog(id)) as { fork_bomb: { forks: number; refusals: number; most_processes: number } };
    assert.ok(bomb.refusals > 0, `the bomb never met the limit: ${JSON.stringify(bomb)}`);
    assert.ok(bomb.most_processes <= pidsLimit, `${bomb.most_processes} processes alive at once, limit ${pidsLimit}`);
    assert.equal(view.status, 'scored', JSON.stringify(view));
  });

  it('ends an endless loop as timeout, within the limit plus a small grace', async () => {
    const { view, elapsedMs } = await finished('infinite-loop');
    assert.equal(view.status, 'failed', JSON.stringify(view));
    assert.equal(view.reason, 'timeout');
    assert.match(String(view.message), /time limit of 5 s/);
    assert.ok(Number(view.runMs) >= wallTimeMs && Number(view.runMs) < wallTimeMs + 1000, `ran ${String(view.runMs)} ms`);
    assert.ok(elapsedMs < wallTimeMs + 5000 + startSlackMs, `final ${elapsedMs} ms after the upload`);
  });

  it('kills a double-forked, setsid, SIGTERM-ignoring grandchild: none is left on the host', async () => {
    const { id, view } = await finished('orphan');
    assert.equal(view.status, 'scored', JSON.stringify(view));
    const report = reportOf(await b.storedLog(id));
    assert.equal(report.grandchild_alive_at_exit, true, 'the grandchild ran when the entry point exited');
    assert.deepEqual(await processesWith(orphanToken), [], 'processes of the run left on the host');
  });

  it('stops filling the disk at the output quota', async () => {
    const { id, view } = await finished('disk-fill');
    const report = reportOf(await b.storedLog(id)) as Record<string, { bytes: number; stopped_by: string | null }>;
    for (const place of ['fill_output', 'fill_code'] as const) {
      const fill = report[place];
      assert.ok(fill, place);
      assert.equal(fill.stopped_by, 'No space left on device', `${place}: ${JSON.stringify(fill)}`);
      assert.ok(fill.bytes <= outputBytes, `${place} wrote ${fill.bytes} bytes, quota ${outputBytes}`);
    }
    assert.equal(view.status, 'scored', 'the run goes on after ENOSPC and is judged');
  });

  it('ends filling /tmp and /dev/shm (memory) as out_of_memory', async () => {
    const { view } = await finished('tmp-fill');
    assert.equal(view.status, 'failed', JSON.stringify(view));
    assert.equal(view.reason, 'out_of_memory');
  });

  it('cuts 1 GiB of stdout and stderr at the log cap, and still judges the run', async () => {
    const { id, view } = await finished('log-flood');
    assert.equal(view.status, 'scored', JSON.stringify(view));
    assert.equal(view.logTruncated, true);
    assert.equal(view.logBytes, logBytes);
    const log = await b.storedLog(id);
    assert.equal(Buffer.byteLength(log), logBytes + Buffer.byteLength(truncationMarker(logBytes)));
    assert.ok(log.endsWith(truncationMarker(logBytes)), 'the stored log says it was cut');
  });

  it('leaves no process of any run on the host once all have ended', async () => {
    for (const p of pending.values()) await p.done;
    assert.deepEqual(await processesOf(b.uidRange), [], 'processes with a uid of the runs');
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(b.workspaceRoot), 'a run workspace is still mounted');
    assert.deepEqual(await readdir(b.workspaceRoot), [], 'run workspaces left');
  });
});
