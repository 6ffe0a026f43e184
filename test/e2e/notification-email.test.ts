import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { getJson, startHoldout, upload, waitForFinal, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { until } from '../helpers/until.js';

/* Issue 16, part 6: notification mails through a real SMTP server on loopback; webhook destinations refused. */
interface Mail { from: string; to: string[]; headers: Map<string, string>; text: string }

/** Headers unfolded, body decoded (nodemailer writes 7bit or quoted-printable for plain text). */
function parseMail(raw: string, from: string, to: string[]): Mail {
  const split = raw.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  let text = raw.slice(split + 4);
  if (headers.get('content-transfer-encoding') === 'quoted-printable') {
    text = Buffer.from(text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
  }
  return { from, to, headers, text: text.replace(/\r\n/g, '\n') };
}

let h: TestHoldout;
let smtp: SMTPServer;
const mails: Mail[] = [];

before(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), from, session.envelope.rcptTo.map((r) => r.address)));
        done();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  h = await startHoldout({
    config: {
      smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: 'Holdout <holdout@example.org>', publicUrl: 'https://holdout.example.org',
      notifyRetryMs: 50, notifyMaxAttempts: 3, webhookAllowPrivate: false,
    },
  });
});
after(async () => {
  await h.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

const put = (url: string, token: string, body: unknown) => fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
type Deliveries = { deliveries: { channel: string; status: string; attempts: number; target: string; lastError: string | null; submissionId: string | null }[] };

describe('notification mails', () => {
  it('mails a participant who opted in when their run ends, to their address, with the outcome in subject and body', async () => {
    const token = await h.participant();
    assert.equal((await put(`${h.url}/api/me/email`, token, { address: null, notify: true })).status, 400);
    assert.equal((await put(`${h.url}/api/me/email`, token, { address: 'not an address', notify: true })).status, 400);
    const set = await put(`${h.url}/api/me/email`, token, { address: 'ada@example.org', notify: true });
    assert.equal(set.status, 200);
    assert.deepEqual((await getJson(`${h.url}/api/me/email`, token)).body, { address: 'ada@example.org', notify: true, available: true });
    const sent = await upload(h.url, token, 'digits', await trivialSubmission({ label: 1 }));
    const id = String(sent.body.id);
    const final = await waitForFinal(h.url, token, id);
    const mail = await until('the mail', () => mails.find((m) => m.to.includes('ada@example.org')));
    assert.deepEqual(mail.to, ['ada@example.org']);
    assert.equal(mail.from, 'holdout@example.org');
    assert.equal(mail.headers.get('to'), 'ada@example.org');
    assert.match(mail.headers.get('subject') ?? '', /^\[Holdout\] Your submission to .+ was scored: /);
    assert.match(mail.text, new RegExp(`Your submission ${id} to .+ \\(phase \\w+\\) was scored`));
    assert.match(mail.text, new RegExp(`Public score: ${String(Number((final.publicScore as number).toPrecision(6))).replace('.', '\\.')}`));
    assert.match(mail.text, new RegExp(`See it: https://holdout\\.example\\.org/s/${id}`));
    const listed = await until('the delivery recorded as delivered', async () => {
      const d = ((await getJson(`${h.url}/api/me/webhook`, token)).body as Deliveries).deliveries;
      return d[0]?.status === 'delivered' ? d : undefined;
    });
    assert.deepEqual(listed.map((d) => [d.channel, d.target, d.submissionId]), [['email', 'ada@example.org', id]]);

    // Opted out: the next run sends nothing.
    await put(`${h.url}/api/me/email`, token, { address: 'ada@example.org', notify: false });
    await waitForFinal(h.url, token, String((await upload(h.url, token, 'digits', await trivialSubmission())).body.id));
    assert.equal(((await getJson(`${h.url}/api/me/webhook`, token)).body as Deliveries).deliveries.length, 1);
  });

  it("mails an alert to the competition's hosts who opted in, not to its participants", async () => {
    const admin = await h.admin();
    const hostToken = await h.participant('mail-host');
    assert.equal((await fetch(`${h.url}/api/competitions/digits/hosts/mail-host`, { method: 'PUT', headers: { authorization: `Bearer ${admin}` } })).status, 200);
    await put(`${h.url}/api/me/email`, hostToken, { address: 'host@example.org', notify: true });
    const competitionId = (await h.ctx.db.selectFrom('competitions').select('id').where('slug', '=', 'digits').executeTakeFirstOrThrow()).id;
    assert.ok(await h.ctx.notifications.outbox.raiseAlert({ kind: 'worker_lost', competitionId, message: 'worker w1 on gpu-box was lost', dedupeKey: 'test:lost', windowMs: 60_000 }));
    await h.ctx.notifications.flush();
    const mail = await until('the alert mail', () => mails.find((m) => m.to.includes('host@example.org')));
    assert.match(mail.headers.get('subject') ?? '', /^\[Holdout\] worker lost: .+ \(digits\)$/);
    assert.match(mail.text, /worker w1 on gpu-box was lost/);
    assert.match(mail.text, /https:\/\/holdout\.example\.org\/c\/digits\/host/);
    assert.equal(mails.filter((m) => m.headers.get('x-holdout-event') === 'alert').length, 1, 'only the host who opted in');
    const alerts = (await getJson(`${h.url}/api/admin/alerts`, admin)).body as { event: { message: string } }[];
    assert.equal(alerts.filter((a) => a.event.message === 'worker w1 on gpu-box was lost').length, 1, 'listed once, not once per mail');
  });

  it('records a mail as failed after the retries when the SMTP server refuses the connection', async () => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    const token = await h.participant();
    await put(`${h.url}/api/me/email`, token, { address: 'bob@example.org', notify: true });
    await waitForFinal(h.url, token, String((await upload(h.url, token, 'digits', await trivialSubmission())).body.id));
    const failed = await until('the failed mail', async () => {
      const d = ((await getJson(`${h.url}/api/me/webhook`, token)).body as Deliveries).deliveries[0];
      return d?.status === 'failed' ? d : undefined;
    });
    assert.equal(failed.attempts, 3);
    assert.match(failed.lastError ?? '', /mail to bob@example\.org not sent: .*ECONNREFUSED/);
    assert.equal(mails.some((m) => m.to.includes('bob@example.org')), false);
  });

  it('refuses webhook URLs on loopback and private addresses when the server does not allow them', async () => {
    const token = await h.participant();
    const res = await put(`${h.url}/api/me/webhook`, token, { url: 'http://127.0.0.1:9/hook' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, 'webhook_refused');
    assert.match(body.message, /127\.0\.0\.1 is a loopback address.*HOLDOUT_WEBHOOK_ALLOW_PRIVATE=1/);
    assert.equal((await put(`${h.url}/api/me/webhook`, token, { url: 'http://10.0.0.8/hook' })).status, 400);
    assert.equal(((await getJson(`${h.url}/api/me/webhook`, token)).body as { url: string | null }).url, null, 'nothing stored');
  });
});
