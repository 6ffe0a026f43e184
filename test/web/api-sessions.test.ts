import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHoldout, type TestHoldout } from '../helpers/holdout-server.js';
import { call, CookieClient } from './web-client.js';

describe('cookie sessions, CSRF and login rate limiting', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({ config: { workers: 0 } });
  });
  after(() => h.close());

  it('signs in with an HttpOnly SameSite=Lax cookie, and refuses unsafe requests without the CSRF header', async () => {
    const web = new CookieClient(h.url);
    const reg = await web.fetch('/api/auth/register', { json: { username: 'cookie-user', password: 'long enough password', session: 'cookie' } });
    assert.equal(reg.status, 201);
    const body = (await reg.json()) as { token?: string; user: { username: string } };
    assert.equal(body.token, undefined, 'the session token never reaches a script');
    const session = reg.headers.getSetCookie().find((c) => c.startsWith('holdout_session='));
    assert.match(String(session), /HttpOnly/);
    assert.match(String(session), /SameSite=Lax/);
    assert.ok(web.cookie('holdout_csrf'));

    assert.equal(((await (await web.fetch('/api/me')).json()) as { username: string }).username, 'cookie-user');
    // A forged cross-site form post carries the cookie but cannot read or send the CSRF token.
    assert.equal((await web.fetch('/api/tokens', { json: { name: 'x' }, csrf: false })).status, 403);
    assert.equal((await web.fetch('/api/tokens', { json: { name: 'x' }, headers: { 'x-csrf-token': 'guess' } })).status, 403);
    assert.equal((await web.fetch('/api/tokens', { json: { name: 'x' }, headers: { origin: 'https://evil.example' } })).status, 403);
    assert.equal((await web.fetch('/api/tokens', { json: { name: 'laptop' } })).status, 201);
    // Logging in from another site is refused too (login CSRF).
    const cross = await fetch(`${h.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ username: 'cookie-user', password: 'long enough password' }),
    });
    assert.equal(cross.status, 403);

    assert.equal((await web.fetch('/api/auth/logout', { method: 'POST' })).status, 204);
    assert.equal(web.cookie('holdout_session'), undefined);
    assert.equal((await web.fetch('/api/me')).status, 401);
  });

  it('locks a username after 5 failed logins, even for the right password, and says when to retry', async () => {
    await h.participant('target');
    for (let i = 0; i < 5; i++) assert.equal((await call(h.url, 'POST', '/api/auth/login', undefined, { username: 'target', password: `wrong ${i}` })).status, 401);
    const res = await fetch(`${h.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'target', password: 'correct horse battery' }),
    });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    // Other accounts are not locked by it.
    await h.participant('bystander');
    assert.equal((await call(h.url, 'POST', '/api/auth/login', undefined, { username: 'bystander', password: 'correct horse battery' })).status, 200);
  });
});

describe('the OpenAPI document', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({ config: { workers: 0 } });
  });
  after(() => h.close());

  it('is generated from the schemas that validate requests, and has a script-free reference page', async () => {
    const { status, body } = await call(h.url, 'GET', '/api/openapi.json');
    assert.equal(status, 200);
    const doc = body as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, { pattern?: string }> } }> } }>> };
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/api/competitions/{slug}/submissions', '/api/submissions/{id}/events', '/api/competitions/{slug}/leaderboard', '/api/queue', '/api/admin/users', '/api/competitions/{slug}/teams']) {
      assert.ok(doc.paths[p], `${p} is documented`);
    }
    const pattern = doc.paths['/api/auth/register']?.post?.requestBody?.content['application/json']?.schema.properties.username?.pattern;
    assert.equal(pattern, '^[a-zA-Z0-9_.-]{3,32}$');
    // The same rule refuses a request.
    assert.equal((await call(h.url, 'POST', '/api/auth/register', undefined, { username: 'a b', password: 'long enough password' })).status, 400);

    const page = await fetch(`${h.url}/api/docs`);
    const html = await page.text();
    assert.match(String(page.headers.get('content-type')), /text\/html/);
    assert.match(String(page.headers.get('content-security-policy')), /default-src 'none'/);
    assert.ok(!/<script/i.test(html));
    assert.match(html, /\/api\/competitions\/\{slug\}\/leaderboard/);
  });
});
