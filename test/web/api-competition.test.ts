import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installCompetition } from '../../src/app/install-competition.js';
import { demoBundle, ensureExampleModel, exampleSubmission, startHoldout, upload, waitForFinal, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';
import { testDialects } from '../../src/db/test-databases.case.js';
import { call } from './web-client.js';

type Row = { rank: number; entrant: { kind: string; name: string }; entries: number; score: number; scores: Record<string, number>; createdAt: string };
type Board = { rows: Row[]; history: { name: string; points: unknown[] }[]; extraMetrics: string[] };

for (const dialect of testDialects) {
describe(`teams, quotas, final selection, host actions and access rules, through the API (${dialect.name})`, { skip: dialect.skip }, () => {
  let h: TestHoldout;
  let zip: string;
  const t: Record<string, string> = {};
  before(async () => {
    ensureExampleModel();
    h = await startHoldout({ dialect, editYaml: (y) => y.replace(/wall_time: .*/, 'wall_time: 20s').replace('daily_quota: 10', 'daily_quota: 3') + '\nfinal_selections: 1\n' });
    zip = await zipSubmission(exampleSubmission);
    for (const name of ['alice', 'bob', 'carol', 'hostess']) t[name] = await h.participant(name);
    t.admin = await h.admin();
  });
  after(() => h.close());

  it('asks for the rules before the first submission and states the quota left', async () => {
    const raw = new FormData();
    raw.append('file', new Blob([new Uint8Array(1)]), 'submission.zip');
    const refused = await fetch(`${h.url}/api/competitions/digits/submissions`, { method: 'POST', headers: { authorization: `Bearer ${t.alice}` }, body: raw });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: string }).error, 'rules_not_accepted');
    const details = (await call(h.url, 'GET', '/api/competitions/digits', t.alice)).body as {
      rules: string; state: string; phases: { state: string }[]; limitsInWords: string[]; me: { rulesAcceptedAt: string | null; quota: { full: { left: number } } };
    };
    assert.equal(details.state, 'open');
    assert.equal(details.phases[0]?.state, 'open');
    assert.match(details.rules, /Rules of Handwritten digits/);
    assert.ok(details.limitsInWords.some((l) => /20 seconds/.test(l)));
    assert.equal(details.me.rulesAcceptedAt, null);
    assert.equal(details.me.quota.full.left, 3);
    assert.equal((await call(h.url, 'POST', '/api/competitions/digits/rules', t.alice)).status, 200);
  });

  it('shares one daily quota and one leaderboard entry within a team', async () => {
    const created = await call(h.url, 'POST', '/api/competitions/digits/teams', t.alice, { name: 'Owls' });
    assert.equal(created.status, 201);
    const code = (created.body as { inviteCode: string }).inviteCode;
    assert.equal((await call(h.url, 'GET', `/api/teams/invites/${code}`, t.bob)).status, 200);
    assert.equal((await call(h.url, 'POST', `/api/teams/invites/${code}/join`, t.bob)).status, 200);
    const team = (await call(h.url, 'GET', '/api/competitions/digits/team', t.bob)).body as { team: { members: { username: string }[] } };
    assert.deepEqual(team.team.members.map((m) => m.username), ['alice', 'bob']);

    const ids: string[] = [];
    for (const who of ['alice', 'alice', 'bob', 'carol']) {
      const sent = await upload(h.url, t[who] ?? '', 'digits', zip);
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      ids.push(String(sent.body.id));
    }
    const over = await upload(h.url, t.bob ?? '', 'digits', zip);
    assert.equal(over.status, 429);
    assert.match(String(over.body.message), /your team "Owls" has used all 3/);
    // Having submitted today, bob cannot hop to another team for a fresh quota.
    assert.equal((await call(h.url, 'POST', '/api/competitions/digits/team/leave', t.bob)).status, 409);
    for (const [i, id] of ids.entries()) assert.equal((await waitForFinal(h.url, t[['alice', 'alice', 'bob', 'carol'][i] ?? ''] ?? '', id)).status, 'scored');

    const board = (await call(h.url, 'GET', '/api/competitions/digits/leaderboard')).body as Board;
    assert.deepEqual(board.rows.map((r) => [r.entrant.name, r.entrant.kind, r.entries]).sort(), [['Owls', 'team', 3], ['carol', 'user', 1]]);
    assert.deepEqual(board.extraMetrics, ['f1_macro']);
    assert.ok(board.rows.every((r) => typeof r.scores.f1_macro === 'number' && r.createdAt));
    assert.equal(board.history.length, 2);
    const mine = (await call(h.url, 'GET', '/api/competitions/digits/submissions', t.bob)).body as { id: string; username: string }[];
    assert.equal(mine.length, 3, 'a team sees its members’ submissions');

    // As many selections per team as the bundle's final_selections (1 here), stated in the details and the rules.
    const details = (await call(h.url, 'GET', '/api/competitions/digits')).body as { finalSelections: number; rules: string };
    assert.equal(details.finalSelections, 1);
    assert.match(details.rules, /Up to 1 selected submissions count/);
    assert.equal((await call(h.url, 'PUT', `/api/submissions/${ids[0]}/selection`, t.alice, { selected: true })).status, 200);
    const second = await call(h.url, 'PUT', `/api/submissions/${ids[2]}/selection`, t.bob, { selected: true });
    assert.deepEqual([second.status, (second.body as { error: string }).error], [409, 'too_many_selected']);
    assert.equal((await call(h.url, 'PUT', `/api/submissions/${ids[0]}/selection`, t.alice, { selected: false })).status, 200);
    assert.equal((await call(h.url, 'PUT', `/api/submissions/${ids[2]}/selection`, t.bob, { selected: true })).status, 200);

    // The code as uploaded, byte for byte, for its participant and their team.
    const uploaded = await readFile(zip);
    for (const who of ['alice', 'bob']) {
      const code = await fetch(`${h.url}/api/submissions/${ids[0]}/code`, { headers: { authorization: `Bearer ${t[who]}` } });
      assert.equal(code.status, 200, who);
      assert.equal(code.headers.get('content-type'), 'application/zip');
      assert.equal(code.headers.get('content-disposition'), `attachment; filename="digits-${ids[0]?.slice(0, 8)}.zip"`);
      assert.ok(Buffer.from(await code.arrayBuffer()).equals(uploaded), `${who} got other bytes`);
    }

    // Access: another participant and an anonymous caller are refused every private thing.
    const alices = ids[0] ?? '';
    for (const [who, token] of [['carol', t.carol], ['anonymous', undefined]] as const) {
      const expectOwn = token ? 404 : 401;
      const expectHost = token ? 403 : 401;
      for (const p of [`/api/submissions/${alices}`, `/api/submissions/${alices}/logs`, `/api/submissions/${alices}/events`, `/api/submissions/${alices}/code`]) {
        assert.equal((await call(h.url, 'GET', p, token)).status, expectOwn, `${who} GET ${p}`);
      }
      assert.equal((await call(h.url, 'PUT', `/api/submissions/${alices}/selection`, token, { selected: false })).status, expectOwn);
      assert.equal((await call(h.url, 'GET', '/api/competitions/digits/leaderboard?part=private', token)).status, 403, `${who} private board`);
      assert.equal((await call(h.url, 'GET', '/api/competitions/digits/leaderboard.csv?part=private', token)).status, 403);
      for (const [method, p, body] of [
        ['GET', '/api/competitions/digits/host/submissions', undefined],
        ['GET', '/api/competitions/digits/scores.csv', undefined],
        ['POST', `/api/submissions/${alices}/rerun`, undefined],
        ['POST', `/api/submissions/${alices}/cancel`, undefined],
        ['POST', '/api/competitions/digits/rerun', undefined],
        ['POST', '/api/competitions/digits/reveal', {}],
        ['POST', '/api/competitions/digits/disqualifications', { username: 'alice', reason: 'none at all' }],
        ['GET', '/api/competitions/digits/disqualifications', undefined],
        ['GET', '/api/queue', undefined],
        ['GET', '/api/admin/users', undefined],
        ['PUT', '/api/competitions/digits/hosts/carol', undefined],
        ['PUT', '/api/admin/users/carol/role', { role: 'admin' }],
      ] as const) {
        const status = (await call(h.url, method, p, token, body)).status;
        assert.ok(status === expectHost || (token && status === 404 && p.startsWith('/api/submissions')), `${who} ${method} ${p}: ${status}`);
      }
    }
    assert.equal((await call(h.url, 'GET', '/api/competitions/digits/team', undefined)).status, 401);
  });

  it('lets a host see everything, disqualify, re-run, cancel, see the queue, download CSVs and reveal', async () => {
    assert.equal((await call(h.url, 'PUT', '/api/competitions/digits/hosts/hostess', t.admin)).status, 200);
    const users = (await call(h.url, 'GET', '/api/admin/users', t.admin)).body as { username: string; hosts: string[] }[];
    assert.deepEqual(users.find((u) => u.username === 'hostess')?.hosts, ['digits']);
    const host = t.hostess ?? '';
    const all = (await call(h.url, 'GET', '/api/competitions/digits/host/submissions', host)).body as { id: string; username: string; privateScore: number }[];
    assert.equal(all.length, 4);
    assert.ok(all.every((s) => typeof s.privateScore === 'number'));
    const carols = all.find((s) => s.username === 'carol')?.id ?? '';
    assert.equal((await call(h.url, 'GET', `/api/submissions/${carols}/logs`, host)).status, 200);
    // A host reads any participant's code (a winner's, before the prize).
    const code = await fetch(`${h.url}/api/submissions/${carols}/code`, { headers: { authorization: `Bearer ${host}` } });
    assert.equal(code.status, 200);
    assert.ok(Buffer.from(await code.arrayBuffer()).equals(await readFile(zip)));
    assert.equal((await call(h.url, 'GET', '/api/submissions/no-such-id/code', host)).status, 404);
    // Hosting another competition gives no access to this one's code.
    const other = path.join(h.dataDir, 'other-bundle');
    await cp(demoBundle, other, { recursive: true });
    await writeFile(path.join(other, 'competition.yaml'), (await readFile(path.join(other, 'competition.yaml'), 'utf8')).replace('slug: digits', 'slug: digits-other'));
    await installCompetition(other, h.ctx);
    t.otherHost = await h.participant('otherhost');
    assert.equal((await call(h.url, 'PUT', '/api/competitions/digits-other/hosts/otherhost', t.admin)).status, 200);
    assert.equal((await call(h.url, 'GET', `/api/submissions/${carols}/code`, t.otherHost)).status, 404);
    const scores = await call(h.url, 'GET', '/api/competitions/digits/scores.csv', host);
    assert.match(String(scores.body), /^submission_id,username,team,.*private_accuracy/);
    assert.equal(String(scores.body).trim().split('\n').length, 5);

    assert.equal((await call(h.url, 'POST', '/api/competitions/digits/disqualifications', host, { username: 'carol', reason: 'shared predictions' })).status, 201);
    const board = (await call(h.url, 'GET', '/api/competitions/digits/leaderboard')).body as Board;
    assert.deepEqual(board.rows.map((r) => r.entrant.name), ['Owls']);
    const dq = await upload(h.url, t.carol ?? '', 'digits', zip);
    assert.equal(dq.status, 403);
    assert.match(String(dq.body.message), /disqualified.*shared predictions/);

    assert.equal((await call(h.url, 'POST', `/api/submissions/${carols}/rerun`, host)).status, 200);
    const cancel = await call(h.url, 'POST', `/api/submissions/${carols}/cancel`, host);
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal((await waitForFinal(h.url, host, carols)).status, 'cancelled');
    const queue = (await call(h.url, 'GET', '/api/queue', host)).body as { workers: { id: string }[]; queued: unknown[]; running: unknown[] };
    assert.equal(queue.workers.length, 1);

    assert.equal((await call(h.url, 'GET', '/api/competitions/digits/leaderboard?part=private', host)).status, 200);
    assert.equal((await call(h.url, 'POST', '/api/competitions/digits/reveal', host, { revealed: true })).status, 200);
    const priv = (await call(h.url, 'GET', '/api/competitions/digits/leaderboard?part=private')).body as Board;
    assert.deepEqual(priv.rows.map((r) => r.entrant.name), ['Owls']);
    const csv = await call(h.url, 'GET', '/api/competitions/digits/leaderboard.csv?part=private');
    assert.match(String(csv.body), /^rank,entrant,kind,accuracy,f1_macro,entries,best_submitted_at,submission_id\r\n1,Owls,team,/);
  });
});
}
