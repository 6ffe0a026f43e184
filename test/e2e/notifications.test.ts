import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { verifySignature } from '../../src/notifications/events.js';
import { getJson, startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { until } from '../helpers/until.js';

/* Issue 16, part 6: run-ended events on the web (SSE) and by signed webhook; hosts' alerts. Loopback only. */
interface Received { path: string; headers: IncomingHttpHeaders; body: string }

let h: TestHoldout;
let receiver: Server;
let base: string;
const received: Received[] = [];
/** Paths that answer 500 (a broken receiver). */
const broken = new Set(['/broken']);

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = broken.has(req.url ?? '') ? 500 : 204;
      res.end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  h = await startHoldout({ config: { notifyRetryMs: 50, notifyMaxAttempts: 3, queueStallMs: 1000, alertScanMs: 3_600_000 } });
});
after(async () => {
  await h.close();
  receiver.close();
});

const put = (url: string, token: string, body: unknown) => fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('notifications', () => {
  it('tells the participant on the event stream and by a signed webhook when a run ends; the host hook gets it too', async () => {
    const token = await h.participant();
    assert.equal((await put(`${h.url}/api/me/webhook`, token, { url: 'ftp://x' })).status, 400);
    const set = await put(`${h.url}/api/me/webhook`, token, { url: `${base}/participant` });
    assert.equal(set.status, 200);
    const { secret } = (await set.json()) as { secret: string };
    const admin = await h.admin();
    const hostSet = await put(`${h.url}/api/competitions/digits/webhook`, admin, { url: `${base}/host` });
    assert.equal(hostSet.status, 200);
    const hostSecret = ((await hostSet.json()) as { secret: string }).secret;
    assert.equal((await put(`${h.url}/api/competitions/digits/webhook`, token, { url: `${base}/x` })).status, 403);

    const stream = await fetch(`${h.url}/api/me/events`, { headers: { authorization: `Bearer ${token}` } });
    const reader = stream.body!.getReader();
    const sent = await upload(h.url, token, 'digits', await trivialSubmission({ label: 1 }));
    const id = String(sent.body.id);
    let text = '';
    while (!text.includes('event: run_ended')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const event = JSON.parse(/data: (.*)/.exec(text.slice(text.indexOf('event: run_ended')))![1]!) as { id: string; status: string; competition: { slug: string } };
    assert.equal(event.id, id);
    assert.equal(event.status, 'scored');
    assert.equal(event.competition.slug, 'digits');

    const final = await waitForFinal(h.url, token, id);
    const mine = await until('the participant webhook', () => received.find((r) => r.path === '/participant'));
    assert.ok(verifySignature(mine.body, secret, mine.headers['x-holdout-signature'] as string), 'signed with the account secret');
    assert.equal(verifySignature(mine.body, hostSecret, mine.headers['x-holdout-signature'] as string), false);
    const body = JSON.parse(mine.body) as { event: string; submission: { id: string; status: string }; competition: { slug: string }; score: { public: number; private?: number } };
    assert.equal(body.event, 'run_ended');
    assert.equal(body.submission.id, id);
    assert.equal(body.submission.status, 'scored');
    assert.equal(body.score.public, final.publicScore);
    assert.equal(body.score.private, undefined, 'the private score is not sent before the reveal');
    const theirs = await until('the host webhook', () => received.find((r) => r.path === '/host'));
    assert.ok(verifySignature(theirs.body, hostSecret, theirs.headers['x-holdout-signature'] as string));
    const listed = (await getJson(`${h.url}/api/me/webhook`, token)).body as { deliveries: { status: string; submissionId: string }[] };
    assert.deepEqual(listed.deliveries.map((d) => [d.status, d.submissionId]), [['delivered', id]]);
  });

  it('retries a failing receiver with backoff and records the failed delivery where its owner sees it', async () => {
    const token = await h.participant();
    await put(`${h.url}/api/me/webhook`, token, { url: `${base}/broken` });
    await put(`${h.url}/api/competitions/digits/webhook`, await h.admin(), { url: null });
    const sent = await upload(h.url, token, 'digits', await trivialSubmission());
    await waitForFinal(h.url, token, String(sent.body.id));
    const failed = await until('the failed delivery', async () => {
      const d = ((await getJson(`${h.url}/api/me/webhook`, token)).body as { deliveries: { status: string; attempts: number; lastError: string }[] }).deliveries[0];
      return d?.status === 'failed' ? d : undefined;
    });
    assert.equal(failed.attempts, 3);
    assert.match(failed.lastError, /answered 500/);
    assert.equal(received.filter((r) => r.path === '/broken').length, 3, 'tried exactly notifyMaxAttempts times');
  });

  it('sends a delivery left in the outbox by a server that stopped (written with the result, sent by the next)', async () => {
    const token = await h.participant();
    await put(`${h.url}/api/me/webhook`, token, { url: `${base}/later` });
    // Stop sending (as a server that went down), let a run end, then start sending again.
    await h.ctx.notifications.stop();
    const sent = await upload(h.url, token, 'digits', await trivialSubmission());
    await waitForFinal(h.url, token, String(sent.body.id));
    const pending = ((await getJson(`${h.url}/api/me/webhook`, token)).body as { deliveries: { status: string }[] }).deliveries;
    assert.deepEqual(pending.map((d) => d.status), ['pending']);
    const { Notifications } = await import('../../src/notifications/notifications.js');
    const next = new Notifications(h.ctx.db, { retryMs: 50, maxAttempts: 3, alertScanMs: 3_600_000, alerts: { queueStallMs: 1000, lostAfterMs: 4000, lookBackMs: 1000 }, webhookAllowPrivate: true }, h.ctx.logger);
    await next.flush();
    const got = received.find((r) => r.path === '/later');
    assert.ok(got, 'sent after the restart');
    assert.equal((JSON.parse(got.body) as { submission: { id: string } }).submission.id, sent.body.id);
  });

  it("alerts the competition's host hook when the queue does not move while a worker is registered, once, and lists it for admins", async () => {
    const admin = await h.admin();
    await put(`${h.url}/api/competitions/digits/webhook`, admin, { url: `${base}/alerts` });
    // A registered worker that claims nothing (it cannot run the competition's runtime), and a run stuck behind it.
    await h.ctx.worker?.stop();
    await h.ctx.workers.heartbeat({ id: 'idle-worker', hostname: 'elsewhere', capacity: 1, cpus: 1, memoryBytes: 1, gpus: 0, executors: ['sandbox'] }, { running: 0, draining: false });
    const token = await h.participant();
    const sent = await upload(h.url, token, 'digits', await trivialSubmission());
    assert.equal(sent.status, 201);
    await new Promise((r) => setTimeout(r, 1100));
    assert.ok((await h.ctx.notifications.scan()) >= 1);
    assert.equal(await h.ctx.notifications.scan(), 0, 'raised once per window');
    const { Notifications } = await import('../../src/notifications/notifications.js');
    await new Notifications(h.ctx.db, { retryMs: 50, maxAttempts: 3, alertScanMs: 3_600_000, alerts: { queueStallMs: 1000, lostAfterMs: 4000, lookBackMs: 1000 }, webhookAllowPrivate: true }, h.ctx.logger).flush();
    const alert = received.find((r) => r.path === '/alerts');
    assert.ok(alert);
    const body = JSON.parse(alert.body) as { event: string; alert: string; competition: { slug: string }; message: string };
    assert.equal(body.event, 'alert');
    assert.equal(body.alert, 'queue_stalled');
    assert.equal(body.competition.slug, 'digits');
    assert.match(body.message, /the queue does not move: 1 submission/);
    const alerts = (await getJson(`${h.url}/api/admin/alerts`, admin)).body as { event: { alert: string } }[];
    assert.ok(alerts.some((a) => a.event.alert === 'queue_stalled'));
    assert.equal((await getJson(`${h.url}/api/admin/alerts`, token)).status, 403);
  });

  it('tells the participant when a host cancels their queued run, though no worker recorded the end', async () => {
    // The in-process worker is stopped (previous test): the run stays queued until the host cancels it.
    const token = await h.participant();
    await put(`${h.url}/api/me/webhook`, token, { url: `${base}/cancelled` });
    const sent = await upload(h.url, token, 'digits', await trivialSubmission());
    const id = String(sent.body.id);
    const cancel = await fetch(`${h.url}/api/submissions/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${await h.admin()}` } });
    assert.equal(cancel.status, 200);
    const { Notifications } = await import('../../src/notifications/notifications.js');
    await new Notifications(h.ctx.db, { retryMs: 50, maxAttempts: 3, alertScanMs: 3_600_000, alerts: { queueStallMs: 1000, lostAfterMs: 4000, lookBackMs: 1000 }, webhookAllowPrivate: true }, h.ctx.logger).flush();
    const got = received.find((r) => r.path === '/cancelled');
    assert.ok(got, 'the cancel was sent through the outbox');
    const body = JSON.parse(got.body) as { submission: { id: string; status: string }; score: unknown };
    assert.deepEqual([body.submission.id, body.submission.status, body.score], [id, 'cancelled', null]);
  });

  it('shows a signing secret once and rotates it on request', async () => {
    const token = await h.participant();
    const first = (await (await put(`${h.url}/api/me/webhook`, token, { url: `${base}/rotate` })).json()) as { secret?: string };
    assert.match(first.secret ?? '', /^[0-9a-f]{48}$/);
    const again = (await (await put(`${h.url}/api/me/webhook`, token, { url: `${base}/rotate2` })).json()) as { secret?: string };
    assert.equal(again.secret, undefined, 'not shown a second time');
    const view = (await getJson(`${h.url}/api/me/webhook`, token)).body as { secretSet: boolean; secret?: string };
    assert.deepEqual([view.secretSet, view.secret], [true, undefined]);
    const rotated = (await (await fetch(`${h.url}/api/me/webhook/secret`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json()) as { secret: string };
    assert.notEqual(rotated.secret, first.secret);
    assert.equal(await h.ctx.notifications.outbox.secretOf((await h.ctx.db.selectFrom('users').select('id').where('webhook_url', '=', `${base}/rotate2`).executeTakeFirstOrThrow()).id), rotated.secret);
  });
});
