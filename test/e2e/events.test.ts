import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ensureExampleModel, exampleSubmission, startHoldout, upload, zipSubmission, type TestHoldout } from '../helpers/holdout-server.js';

let h: TestHoldout;
before(async () => {
  ensureExampleModel();
  h = await startHoldout();
});
after(() => h.close());

/** Reads a server-sent event stream to its end into [event, data] pairs. */
async function readEvents(url: string, token: string): Promise<[string, string][]> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const text = await res.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? '';
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      return [event, data];
    });
}

it('streams a smoke run live: statuses up to scored, its log lines, then the end', async () => {
  const token = await h.participant();
  const sent = await upload(h.url, token, 'digits', await zipSubmission(exampleSubmission), '?kind=smoke');
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const events = await readEvents(`${h.url}/api/submissions/${String(sent.body.id)}/events`, token);
  const statuses = events.filter(([e]) => e === 'status').map(([, d]) => (JSON.parse(d) as { status: string }).status);
  assert.equal(statuses.at(-1), 'scored', JSON.stringify(events));
  assert.equal(events.at(-1)?.[0], 'end');
  const final = JSON.parse(events.filter(([e]) => e === 'status').at(-1)?.[1] ?? '{}') as { kind: string; publicScore: number };
  assert.equal(final.kind, 'smoke');
  assert.ok(final.publicScore > 0.5);
});

it('keeps other participants out of the stream', async () => {
  const owner = await h.participant();
  const other = await h.participant();
  const sent = await upload(h.url, owner, 'digits', await zipSubmission(exampleSubmission), '?kind=smoke');
  const res = await fetch(`${h.url}/api/submissions/${String(sent.body.id)}/events`, { headers: { authorization: `Bearer ${other}` } });
  assert.equal(res.status, 404);
});
