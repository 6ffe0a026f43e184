import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startHoldout, type TestHoldout } from '../helpers/holdout-server.js';
import { call } from './web-client.js';

const MiB = 1 << 20;

interface Answer {
  status: number;
  body: { error?: string; message?: string };
  /** Whether the server said "100 Continue" (inviting the body). */
  continued: boolean;
}

/**
 * A raw multipart POST that announces `length` bytes but sends only `send` of them (or streams
 * chunked when `length` is undefined), so a server that reads before refusing never answers.
 */
function post(url: string, token: string, opts: { length?: number | 'exact'; send: number; expect?: boolean; filename?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const boundary = 'holdout-test-boundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${opts.filename ?? 'submission.zip'}"\r\nContent-Type: application/zip\r\n\r\n`);
    const tail = `\r\n--${boundary}--\r\n`;
    const length = opts.length === 'exact' ? head.length + opts.send + tail.length : opts.length;
    const req = request(`${url}/api/competitions/digits/submissions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        ...(length !== undefined ? { 'content-length': String(length) } : {}),
        ...(opts.expect ? { expect: '100-continue' } : {}),
      },
    });
    let continued = false;
    const sendBody = () => {
      req.write(head);
      req.write(Buffer.alloc(opts.send));
      if (length === undefined || opts.length === 'exact') req.end(tail);
    };
    req.on('continue', () => {
      continued = true;
      sendBody();
    });
    req.on('response', (res: IncomingMessage) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as Answer['body'], continued });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => reject(new Error('no answer within 10 s: the server waited for the body')));
    if (!opts.expect) sendBody();
  });
}

describe('upload size limits, checked before the body is read', () => {
  let h: TestHoldout;
  let token: string;
  before(async () => {
    h = await startHoldout({ config: { maxUploadBytes: MiB } });
    token = await h.participant('sizer');
    await call(h.url, 'POST', '/api/competitions/digits/rules', token);
  });
  after(() => h?.close());

  it('publishes the upload limits in the competition details, and the rules give dates in words', async () => {
    const details = (await call(h.url, 'GET', '/api/competitions/digits')).body as { upload: { maxZipBytes: number; maxFiles: number }; rules: string };
    assert.equal(details.upload.maxZipBytes, MiB);
    assert.equal(details.upload.maxFiles, 10_000);
    assert.match(details.rules, /from 1 January 2026, 00:00 UTC to 1 January 2030, 00:00 UTC/);
  });

  it('answers "Expect: 100-continue" for 600 MB with 413 and no "100 Continue"', async () => {
    const answer = await post(h.url, token, { length: 600 * MiB, send: 0, expect: true });
    assert.equal(answer.continued, false, 'the client is not invited to send the body');
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error, 'payload_too_large');
    assert.match(answer.body.message ?? '', /the upload is 600 MiB, larger than the limit of 1 MiB for submission\.zip; nothing was read/);
  });

  it('refuses a Content-Length over the limit at once, without waiting for the body', async () => {
    const answer = await post(h.url, token, { length: 600 * MiB, send: 64 * 1024 });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error, 'payload_too_large');
  });

  it('still lets a file within the limit through "100 Continue", and names a chunked file that is too large', async () => {
    const small = await post(h.url, token, { length: 'exact', send: 10, expect: true });
    assert.equal(small.continued, true);
    assert.equal(small.status, 400, 'ten zero bytes are read, and are no zip');
    const chunked = await post(h.url, token, { send: 2 * MiB, filename: 'my-model.zip' });
    assert.equal(chunked.status, 413);
    assert.match(chunked.body.message ?? '', /^my-model\.zip \(submission\.zip\) is larger than the limit of 1 MiB/);
    assert.equal(((await call(h.url, 'GET', '/api/competitions/digits/submissions', token)).body as unknown[]).length, 0, 'nothing was submitted');
  });
});
