import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { createUser } from '../../src/app/accounts.js';
import { installCompetition } from '../../src/app/install-competition.js';
import { demoBundle, startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { CliUser, lastLine, show } from './cli-harness.js';

const day = 86_400_000;

describe('holdout competition carry and holdout leaderboard --phase', () => {
  let h: TestHoldout;
  let work: string;
  let host: CliUser;
  let participant: CliUser;

  /** The demo bundle as two phases; the final one carries the development selections. */
  async function writeBundle(finalOpen: boolean): Promise<void> {
    const at = (days: number) => new Date(Date.now() + days * day).toISOString();
    const [devStart, devEnd, finalEnd] = finalOpen ? [at(-20), at(-10), at(10)] : [at(-10), at(10), at(20)];
    const yaml = parse(await readFile(path.join(demoBundle, 'competition.yaml'), 'utf8')) as Record<string, unknown>;
    yaml.slug = 'cli-phases';
    yaml.phases = [
      { name: 'development', start: devStart, end: devEnd, daily_quota: 5 },
      { name: 'final', start: devEnd, end: finalEnd, daily_quota: 5, carry_selections: true },
    ];
    await writeFile(path.join(work, 'bundle', 'competition.yaml'), stringify(yaml));
    await installCompetition(path.join(work, 'bundle'), h.ctx);
  }

  before(async () => {
    h = await startHoldout();
    work = await mkdtemp(path.join(tmpdir(), 'holdout-cli-phases-'));
    await cp(demoBundle, path.join(work, 'bundle'), { recursive: true });
    await createUser(h.ctx.users, 'phase-admin', 'correct horse battery', 'admin');
    [host, participant] = [await CliUser.create(), await CliUser.create()];
  });
  after(async () => {
    await host?.cleanup();
    await participant?.cleanup();
    await h?.close();
    await rm(work, { recursive: true, force: true });
  });

  it("ranks one phase's submissions at a time, and carries the development selections into the final phase as a host", async () => {
    await writeBundle(false);
    const token = await h.participant('ada');
    assert.equal((await participant.login(h.url, 'ada')).code, 0);
    assert.equal((await host.login(h.url, 'phase-admin')).code, 0);
    const sent = await upload(h.url, token, 'cli-phases', await trivialSubmission({ label: 3 }));
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal((await waitForFinal(h.url, token, String(sent.body.id))).status, 'scored');

    const dev = await participant.run(['leaderboard', 'cli-phases', '--phase', 'development']);
    assert.equal(dev.code, 0, show(dev));
    assert.match(dev.stdout, /^cli-phases: public leaderboard of phase "development", accuracy/);
    assert.match(dev.stdout, /ada/);
    const empty = await participant.run(['leaderboard', 'cli-phases', '--phase', 'final']);
    assert.equal(empty.code, 0, show(empty));
    assert.match(empty.stdout, /of phase "final"[\s\S]*no scored submissions yet/);
    const unknown = await participant.run(['leaderboard', 'cli-phases', '--phase', 'nope']);
    assert.equal(unknown.code, 4, show(unknown));

    // Only a host carries, and only once the phase before has ended (its selections are final then).
    const byParticipant = await participant.run(['competition', 'carry', 'cli-phases', 'final']);
    assert.equal(byParticipant.code, 5, show(byParticipant));
    const early = await host.run(['competition', 'carry', 'cli-phases', 'final']);
    assert.equal(early.code, 8, show(early));
    assert.match(lastLine(early.stderr), /phase "development" is still open/);
    const notCarrying = await host.run(['competition', 'carry', 'cli-phases', 'development']);
    assert.equal(notCarrying.code, 8, show(notCarrying));
    assert.match(lastLine(notCarrying.stderr), /does not carry selections/);

    await writeBundle(true);
    const carried = await host.run(['competition', 'carry', 'cli-phases', 'final']);
    assert.equal(carried.code, 0, show(carried));
    assert.match(carried.stdout, /^1 selected submission of phase "development" carried into phase "final" \(at .*\)/);
    const again = await host.run(['--json', 'competition', 'carry', 'cli-phases', 'final']);
    assert.equal(again.code, 0, show(again));
    assert.deepEqual((({ phase, from, carried: n }) => ({ phase, from, n }))(JSON.parse(again.stdout) as { phase: string; from: string; carried: number }), { phase: 'final', from: 'development', n: 1 });

    h.ctx.worker?.wake();
    const [row] = await h.ctx.db.selectFrom('submissions').select('id').where('phase', '=', 'final').execute();
    assert.equal((await waitForFinal(h.url, token, String(row?.id))).status, 'scored');
    const final = await participant.run(['--json', 'leaderboard', 'cli-phases', '--phase', 'final']);
    assert.equal(final.code, 0, show(final));
    const rows = (JSON.parse(final.stdout) as { rows: Array<{ username: string; carriedFrom: string | null }> }).rows;
    assert.deepEqual(rows.map((r) => [r.username, r.carriedFrom]), [['ada', String(sent.body.id)]]);
  });
});
