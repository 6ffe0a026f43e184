import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scratchOwnerFile } from '../../src/worker/host-sweep.js';
import { attemptOf, reportOf, startBench, type AttackBench } from './attack-harness.js';

describe('attack: leftovers between runs', () => {
  let b: AttackBench;
  const token = `holdout-leftover-${randomUUID()}`;
  let planted: Record<string, unknown>;
  let inspected: Record<string, unknown>;
  let hostAfterPlant: { workspaces: string[]; scratch: string[]; mounted: boolean };

  before(async () => {
    b = await startBench();
    const plantId = await b.submit('leftovers', { settings: { mode: 'plant', token } });
    assert.equal((await b.final(plantId)).status, 'scored');
    planted = reportOf(await b.storedLog(plantId));
    // The worker removes the attempt's scratch folder just after recording the result: give it a
    // moment. What stays is the worker's own folder with the mark of its live process.
    const scratchDir = path.join(b.h.dataDir, 'scratch', b.worker.id);
    const attempts = async () => (await readdir(scratchDir).catch(() => [])).filter((name) => name !== scratchOwnerFile);
    for (let i = 0; i < 40 && (await attempts()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    hostAfterPlant = {
      workspaces: await readdir(b.workspaceRoot),
      scratch: await attempts(),
      mounted: (await readFile('/proc/self/mountinfo', 'utf8')).includes(b.workspaceRoot),
    };
    const inspectId = await b.submit('leftovers', { settings: { mode: 'inspect', token } });
    assert.equal((await b.final(inspectId)).status, 'scored');
    inspected = reportOf(await b.storedLog(inspectId));
  });
  after(() => b.close());

  it('could plant its files and a shared memory segment (the check below would prove nothing otherwise)', () => {
    for (const key of Object.keys(planted).filter((k) => k.startsWith('plant '))) {
      assert.equal(attemptOf(planted, key).succeeded, true, `${key}: ${attemptOf(planted, key).error ?? ''}`);
    }
    assert.ok(Number(planted.shm_segment) >= 0, 'shmget created a segment');
  });

  it('finds nothing of the earlier run in /tmp, /dev/shm, its working, output or home folder', () => {
    const found = inspected.found as Record<string, string[]>;
    assert.ok(Object.keys(found).length >= 4, JSON.stringify(found));
    for (const [place, names] of Object.entries(found)) assert.deepEqual(names, [], `left in ${place}`);
  });

  it('finds no System V shared memory of the earlier run', () => {
    assert.deepEqual(inspected.sysv_shm, []);
    assert.equal(inspected.shm_lookup, -1, 'shmget found the earlier segment');
  });

  it('leaves no workspace, mount or scratch folder on the host once a run has ended', () => {
    assert.deepEqual(hostAfterPlant.workspaces, [], 'workspaces left');
    assert.equal(hostAfterPlant.mounted, false, 'a workspace is still mounted');
    assert.deepEqual(hostAfterPlant.scratch, [], 'worker scratch left');
  });
});

describe('attack: two runs at the same time', () => {
  let b: AttackBench;
  const ids: string[] = [];
  const reports: Record<string, unknown>[] = [];

  before(async () => {
    b = await startBench();
    const [a, z] = [`holdout-peer-${randomUUID()}`, `holdout-peer-${randomUUID()}`];
    const ports = [40000 + Math.floor(Math.random() * 10000), 50000 + Math.floor(Math.random() * 10000)];
    ids.push(await b.submit('peer', { settings: { me: a, other: z, my_port: ports[0], other_port: ports[1] } }));
    ids.push(await b.submit('peer', { settings: { me: z, other: a, my_port: ports[1], other_port: ports[0] } }));
    for (const id of ids) {
      assert.equal((await b.final(id)).status, 'scored');
      reports.push(reportOf(await b.storedLog(id)));
    }
  });
  after(() => b.close());

  it('ran both at once (the check below would prove nothing otherwise)', () => {
    const [w1, w2] = reports.map((r) => r._window as [number, number]);
    assert.ok(w1 && w2 && w1[0] < w2[1] && w2[0] < w1[1], `windows ${JSON.stringify([w1, w2])}`);
  });

  it('neither sees the other: files, processes, abstract sockets, loopback ports', () => {
    for (const [i, r] of reports.entries()) assert.deepEqual(r.found, [], `peer ${i} found the other: ${JSON.stringify(r)}`);
  });

  it('each sees only its own processes', () => {
    for (const r of reports) assert.ok(Number(r.visible_pids) <= 3, `saw ${String(r.visible_pids)} processes`);
  });
});
