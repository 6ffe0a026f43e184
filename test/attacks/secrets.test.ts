import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson } from '../helpers/holdout-server.js';
import { reportOf, startBench, type AttackBench } from './attack-harness.js';

const prefix = 'HOLDOUT-CANARY-';
/** Secrets the attacker must not find: each starts with a prefix it knows, then a random part. */
const canaries = {
  labels: `${prefix}labels-${randomUUID()}`,
  workerEnv: `${prefix}worker-env-${randomUUID()}`,
  database: `${prefix}database-${randomUUID()}`,
  otherSubmission: `${prefix}other-submission-${randomUUID()}`,
};
/** Planted in the attacker's own zip: proves the search finds what it can see. */
const control = `${prefix}control-${randomUUID()}`;

/** Puts the labels canary into an extra column of every labels row (scoring ignores it). */
async function plantInLabels(bundle: string): Promise<void> {
  const file = path.join(bundle, 'private', 'labels.csv');
  const [header = '', ...rows] = (await readFile(file, 'utf8')).trimEnd().split('\n');
  await writeFile(file, [`${header},note`, ...rows.map((r) => `${r},${canaries.labels}`)].join('\n') + '\n');
}

function leaked(text: string): string[] {
  return Object.entries(canaries).filter(([, c]) => text.includes(c)).map(([where]) => where);
}

describe('attack: secrets', () => {
  let b: AttackBench;
  let attackId: string;
  let victimId: string;
  let report: Record<string, unknown>;
  let log: string;

  before(async () => {
    process.env.HOLDOUT_ATTACK_SECRET = canaries.workerEnv;
    b = await startBench({ limits: { wall_time: '12s' }, editBundle: plantInLabels });
    await b.h.ctx.db
      .insertInto('users')
      .values({ id: randomUUID(), username: canaries.database, password_hash: canaries.database, role: 'participant', created_at: new Date().toISOString() })
      .execute();
    // The other participant's submission runs while the attacker searches.
    const victim = await b.h.participant();
    victimId = await b.submit('victim', { token: victim, settings: { secret: canaries.otherSubmission, seconds: 5 } });
    for (let i = 0; i < 100 && (await b.h.ctx.submissions.get(victimId))?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    attackId = await b.submit('secrets', { settings: { prefix, seconds: 7, control } });
    await b.final(attackId, b.token, 30_000);
    log = await b.storedLog(attackId);
    report = reportOf(log);
    assert.equal((await b.final(victimId, victim)).status, 'scored', 'the victim ran to the end');
  });
  after(async () => {
    delete process.env.HOLDOUT_ATTACK_SECRET;
    await b.close();
  });

  it('searched for real: processes, the whole file system and /usr names, and found its own control canary', () => {
    const seen = report.seen as Record<string, number>;
    assert.ok(seen.pids !== undefined && seen.pids >= 2, `pids ${seen.pids}`);
    assert.ok(seen.files_read !== undefined && seen.files_read >= 20, `files read ${seen.files_read}`);
    assert.ok(seen.names_seen !== undefined && seen.names_seen >= 10_000, `names seen ${seen.names_seen}`);
    const hits = report.hits as { where: string; text: string }[];
    assert.ok(hits.some((h) => h.text.startsWith(control)), 'the search found the canary planted in its own zip');
  });

  it('finds no canary anywhere it can look', () => {
    const hits = report.hits as { where: string; text: string }[];
    const found = hits.filter((h) => leaked(h.text).length > 0 || leaked(h.where).length > 0);
    assert.deepEqual(found, [], 'canaries found');
  });

  it('sees no variable of the worker in any process environment', () => {
    assert.equal(report.pid1_environ, '', 'the sandbox init has an empty environment');
    const env = report.own_environ as Record<string, string>;
    assert.deepEqual(Object.keys(env).sort(), ['HOLDOUT_DATA', 'HOLDOUT_OUTPUT', 'HOLDOUT_SMOKE', 'HOME', 'LANG', 'PATH', 'PWD']);
  });

  it('sees only the test features in its data folder', () => {
    assert.deepEqual(report.data_files, ['test_features.csv']);
  });

  it('gets no canary into its stored log, its output or anything the API shows its owner', async () => {
    assert.deepEqual(leaked(log), [], 'canaries in the stored log');
    const outputs = b.recorder.runsOf(attackId).flatMap((r) => r.output);
    assert.ok(outputs.length > 0, 'the run left an output');
    for (const entry of outputs) assert.deepEqual(leaked(`${entry.name}\n${entry.content?.toString('latin1') ?? ''}`), [], entry.name);
    const view = await getJson(`${b.h.url}/api/submissions/${attackId}`, b.token);
    const list = await getJson(`${b.h.url}/api/competitions/digits/submissions`, b.token);
    const logs = await fetch(`${b.h.url}/api/submissions/${attackId}/logs`, { headers: { authorization: `Bearer ${b.token}` } });
    assert.deepEqual(leaked(JSON.stringify([view.body, list.body, await logs.text()])), []);
  });

  it('leaves the planted canaries where they were (the test would prove nothing otherwise)', async () => {
    const labels = await readFile(path.join(b.h.dataDir, 'bundle', 'private', 'labels.csv'), 'utf8');
    assert.ok(labels.includes(canaries.labels));
    assert.equal(process.env.HOLDOUT_ATTACK_SECRET, canaries.workerEnv);
    const [victim] = b.recorder.runsOf(victimId);
    const [attacker] = b.recorder.runsOf(attackId);
    assert.ok(victim && attacker && attacker.startedAt < victim.endedAt, "the attacker searched while the other participant's run was live");
  });
});
