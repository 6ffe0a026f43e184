import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { zipFolder } from '../../src/archive/zip-folder.js';
import { demoBundle, getJson, repoRoot, startHoldout, type TestHoldout } from '../helpers/holdout-server.js';

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

describe('accounts and tokens', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({ config: { workers: 0 } });
  });
  after(() => h.close());

  it('registers, logs in, uses an API token, revokes it, logs out', async () => {
    const reg = await post(`${h.url}/api/auth/register`, { username: 'bob', password: 'long enough password' });
    assert.equal(reg.status, 201);
    const dup = await post(`${h.url}/api/auth/register`, { username: 'bob', password: 'another password' });
    assert.equal(dup.status, 409);
    assert.match(((await dup.json()) as { message: string }).message, /taken/);

    const bad = await post(`${h.url}/api/auth/login`, { username: 'bob', password: 'wrong password' });
    assert.equal(bad.status, 401);
    const login = (await (await post(`${h.url}/api/auth/login`, { username: 'bob', password: 'long enough password' })).json()) as { token: string };
    assert.match(login.token, /^hd_/);

    const created = (await (await post(`${h.url}/api/tokens`, { name: 'laptop' }, login.token)).json()) as { id: string; token: string };
    assert.deepEqual((await getJson(`${h.url}/api/me`, created.token)).body, (await getJson(`${h.url}/api/me`, login.token)).body);
    const list = (await getJson(`${h.url}/api/tokens`, login.token)).body as { name: string }[];
    assert.deepEqual(list.map((t) => t.name), ['laptop']);
    const del = await fetch(`${h.url}/api/tokens/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${login.token}` } });
    assert.equal(del.status, 204);
    assert.equal((await getJson(`${h.url}/api/me`, created.token)).status, 401);

    const out = await fetch(`${h.url}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${login.token}` } });
    assert.equal(out.status, 204);
    assert.equal((await getJson(`${h.url}/api/me`, login.token)).status, 401);
  });

  it('stores passwords hashed with scrypt, never in clear', async () => {
    await post(`${h.url}/api/auth/register`, { username: 'carol', password: 'my secret password' });
    const row = await h.ctx.users.byName('carol');
    assert.match(String(row?.password_hash), /^scrypt\$/);
    assert.ok(!String(row?.password_hash).includes('my secret password'));
  });

  it('explains a bad registration field by field', async () => {
    const res = await post(`${h.url}/api/auth/register`, { username: 'x', password: 'short' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { message: string };
    assert.match(body.message, /username: use 3 to 32/);
    assert.match(body.message, /password: use at least 8/);
  });
});

describe('competitions', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({ config: { workers: 0 } });
  });
  after(() => h.close());

  it('says it runs (/healthz) and that it can serve (/readyz: the database and the blob store answer)', async () => {
    assert.deepEqual(await getJson(`${h.url}/healthz`), { status: 200, body: { ok: true } });
    assert.deepEqual(await getJson(`${h.url}/readyz`), { status: 200, body: { ready: true, database: 'ok', blobs: 'ok' } });
  });

  it('lists and shows the demo competition, and serves public files but never the labels or test features', async () => {
    const list = (await getJson(`${h.url}/api/competitions`)).body as { slug: string }[];
    assert.deepEqual(list.map((c) => c.slug), ['digits']);
    const c = (await getJson(`${h.url}/api/competitions/digits`)).body as { files: { path: string }[]; limits: { memoryBytes: number } };
    assert.ok(c.files.some((f) => f.path === 'train/train_features.csv'));
    assert.ok(c.files.every((f) => !f.path.startsWith('private/') && !f.path.startsWith('test/features')));
    const file = await fetch(`${h.url}/api/competitions/digits/files/train/train_labels.csv`);
    assert.equal(file.status, 200);
    assert.equal(await file.text(), await readFile(path.join(demoBundle, 'train', 'train_labels.csv'), 'utf8'));
    for (const hidden of ['private/labels.csv', 'test/features/test_features.csv', '../../etc/passwd']) {
      assert.equal((await fetch(`${h.url}/api/competitions/digits/files/${hidden}`)).status, 404, hidden);
    }
  });

  it('lets an admin upload a bundle zip, and lists every problem of a broken one', async () => {
    const admin = await h.admin();
    const participant = await h.participant();
    const dir = await mkdtemp(path.join(tmpdir(), 'holdout-bundle-'));
    await cp(demoBundle, dir, { recursive: true });
    const yaml = path.join(dir, 'competition.yaml');
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('slug: digits', 'slug: digits-two'));
    const zip = `${dir}.zip`;
    await zipFolder(dir, zip);
    const send = (token: string, file: string) => {
      const form = new FormData();
      return readFile(file).then((data) => {
        form.append('file', new Blob([new Uint8Array(data)]), 'bundle.zip');
        return fetch(`${h.url}/api/competitions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      });
    };
    assert.equal((await send(participant, zip)).status, 403);
    const ok = await send(admin, zip);
    assert.equal(ok.status, 201, await ok.clone().text());
    assert.equal(((await ok.json()) as { slug: string }).slug, 'digits-two');

    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('memory: 1GiB', 'memory: lots').replace('slug: digits-two', 'slug: digits-three'));
    await zipFolder(dir, `${dir}-bad.zip`);
    const bad = await send(admin, `${dir}-bad.zip`);
    assert.equal(bad.status, 422);
    const body = (await bad.json()) as { message: string; details: { file: string; field: string }[] };
    assert.ok(body.details.some((d) => d.file === 'competition.yaml' && d.field === 'limits.memory'), JSON.stringify(body));
    assert.equal((await getJson(`${h.url}/api/competitions/digits-three`)).status, 404);
  });
});

describe('holdout competition create (CLI)', () => {
  it('loads a bundle into the database, and exits 3 with the problems for a broken one', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'holdout-cli-'));
    const run = promisify(execFile);
    const cli = ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts')];
    const env = { ...process.env, HOLDOUT_DATA_DIR: dataDir };
    const ok = await run(process.execPath, [...cli, 'competition', 'create', demoBundle], { env });
    assert.match(ok.stdout, /created competition "digits"/);
    const again = await run(process.execPath, [...cli, 'competition', 'update', demoBundle], { env });
    assert.match(again.stdout, /updated competition "digits"/);

    const broken = await mkdtemp(path.join(tmpdir(), 'holdout-broken-'));
    await cp(demoBundle, broken, { recursive: true });
    await writeFile(path.join(broken, 'competition.yaml'), 'slug: x\n');
    const err = await run(process.execPath, [...cli, 'competition', 'create', broken], { env }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((err as { code: number }).code, 3);
    assert.match((err as { stderr: string }).stderr, /competition\.yaml: slug/);
  });
});
