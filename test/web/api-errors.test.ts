import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHoldout, upload, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';

describe('errors in our own codes and words', () => {
  let h: TestHoldout;
  before(async () => {
    h = await startHoldout({ editYaml: (y) => y.replace('daily_quota: 10', 'daily_quota: 1') });
  });
  after(() => h?.close());

  const post = (path: string, headers: Record<string, string>, body: string) => fetch(`${h.url}${path}`, { method: 'POST', headers, body });

  it('names a body that is not JSON, and a content type not accepted, without Fastify codes', async () => {
    for (const [headers, body, status, code, words] of [
      [{ 'content-type': 'application/json' }, '{"username": "a",', 400, 'invalid_json', /not valid JSON/],
      [{ 'content-type': 'application/json' }, '', 400, 'invalid_json', /body is empty/],
      [{ 'content-type': 'text/csv' }, 'a,b', 415, 'unsupported_media_type', /send JSON \(content-type: application\/json\)/],
    ] as const) {
      const res = await post('/api/auth/login', headers, body);
      const text = await res.text();
      assert.equal(res.status, status, text);
      assert.doesNotMatch(text, /FST_/);
      const json = JSON.parse(text) as { error: string; message: string };
      assert.equal(json.error, code);
      assert.match(json.message, words);
    }
  });

  it('answers past the daily quota with 429, the reset time in words and Retry-After', async () => {
    const token = await h.participant('quotaed');
    const zip = await trivialSubmission();
    const first = await upload(h.url, token, 'digits', zip, '?kind=smoke');
    assert.equal(first.status, 201);
    assert.equal(first.body.logs, 'full', 'the answer says how much of the log its submitter reads');
    assert.equal((await upload(h.url, token, 'digits', zip)).body.logs, 'reason-only');
    const refused = await upload(h.url, token, 'digits', zip, '?kind=smoke');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error, 'quota_exceeded');
    assert.match(String(refused.body.message), /the quota resets at midnight UTC \(\d{4}-\d\d-\d\d 00:00 UTC, in (\d+ h( \d+ min)?|\d+ min)\)/);
    const res = await fetch(`${h.url}/api/competitions/digits/submissions?kind=smoke`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new FormData() });
    const wait = Number(res.headers.get('retry-after'));
    const untilMidnight = (Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) / 1000;
    assert.ok(wait > 0 && Math.abs(wait - untilMidnight) < 60, `Retry-After ${wait} s, midnight UTC in ${untilMidnight} s`);
  });
});
