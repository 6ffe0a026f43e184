import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import * as tus from 'tus-js-client';
import { sweepUploads } from '../../src/server/resumable/tus-routes.js';
import { startHoldout, type TestHoldout } from '../helpers/holdout-server.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { createUpload, offsetOf, patch, patchThenDie, sha256Hex, tusHeaders } from '../helpers/tus-client.js';

const QUOTA = 3;

async function acceptRules(h: TestHoldout, token: string): Promise<void> {
  await fetch(`${h.url}/api/competitions/digits/rules`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
}

async function blobKeys(h: TestHoldout, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of h.ctx.blobs.list(prefix)) keys.push(k);
  return keys;
}

/** tus-js-client's upload in Node, resolved with the upload URL once it succeeds. */
function tusUpload(h: TestHoldout, token: string, file: string, opts: Partial<tus.UploadOptions> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(createReadStream(file), {
      endpoint: `${h.url}/api/competitions/digits/submissions/uploads`,
      headers: { authorization: `Bearer ${token}` },
      retryDelays: [],
      ...opts,
      onError: reject,
      onSuccess: () => resolve(upload.url ?? ''),
    });
    upload.start();
  });
}

describe('resumable submission uploads (tus)', () => {
  let h: TestHoldout;
  let zip: string;
  let data: Buffer;
  before(async () => {
    // No worker: the submissions stay queued; 1 MiB limit so that "too large" is cheap to show.
    h = await startHoldout({ config: { workers: 0, maxUploadBytes: 1 << 20, uploadExpiryMinutes: 60 }, editYaml: (y) => y.replace('daily_quota: 10', `daily_quota: ${QUOTA}`) });
    zip = await trivialSubmission();
    data = await readFile(zip);
  });
  after(() => h.close());

  it('uploads with tus-js-client into a queued submission whose id is the upload id, taking one quota slot', async () => {
    const token = await h.participant();
    await acceptRules(h, token);
    const url = await tusUpload(h, token, zip, { metadata: { filename: 'submission.zip', sha256: sha256Hex(data) } });
    const id = url.split('/').pop() ?? '';
    const res = await fetch(`${h.url}/api/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const s = (await res.json()) as { status: string; zipBytes: number };
    assert.equal(s.status, 'queued');
    assert.equal(s.zipBytes, data.length);
    const row = await h.ctx.submissions.get(id);
    assert.ok(row);
    assert.ok((await buffer(await h.ctx.blobs.get(row.zip_key))).equals(data));
    assert.deepEqual(await blobKeys(h, 'uploads'), [], 'no parts are left');
    // A repeated final PATCH (its answer was lost) changes nothing.
    assert.equal((await patch(url, token, data.length, Buffer.alloc(0))).status, 204);
    const mine = await fetch(`${h.url}/api/competitions/digits/submissions`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await mine.json()) as unknown[]).length, 1, 'one submission, one quota slot');
  });

  it('resumes where a killed client stopped; the quota is taken only when the upload completes', async () => {
    const token = await h.participant();
    await acceptRules(h, token);
    const created = await createUpload(h.url, token, 'digits', data.length, { sha256: sha256Hex(data) });
    assert.equal(created.status, 201);
    const half = Math.floor(data.length / 2);
    await patchThenDie(created.uploadUrl, token, 0, data.subarray(0, half), data.length);
    // The server keeps what arrived before the connection dropped.
    let head = await offsetOf(created.uploadUrl, token);
    for (let i = 0; head.offset !== half && i < 50; i++, head = await offsetOf(created.uploadUrl, token)) await sleep(50);
    assert.deepEqual(head, { status: 200, offset: half });
    const id = created.uploadUrl.split('/').pop() ?? '';
    assert.equal(await h.ctx.submissions.get(id), undefined, 'no submission yet, no quota taken');
    // tus-js-client, given the URL (the CLI keeps it), asks for the offset and sends the rest.
    await tusUpload(h, token, zip, { uploadUrl: created.uploadUrl });
    const row = await h.ctx.submissions.get(id);
    assert.ok(row, 'queued after the resume');
    assert.ok((await buffer(await h.ctx.blobs.get(row.zip_key))).equals(data), 'the stored zip is the file, byte for byte');
  });

  it('answers 409 to a second PATCH while one is still writing to the upload, and keeps the first one\'s bytes', async () => {
    const token = await h.participant();
    await acceptRules(h, token);
    const u = await createUpload(h.url, token, 'digits', data.length);
    const half = Math.floor(data.length / 2);
    // A client that hangs mid-chunk, and a restarted one that asks the offset and sends again.
    const { request } = await import('node:http');
    const hanging = request(u.uploadUrl, { method: 'PATCH', headers: tusHeaders(token, { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', 'content-length': String(data.length) }) });
    hanging.on('error', () => {});
    await new Promise<void>((resolve) => hanging.write(data.subarray(0, half), () => resolve()));
    await sleep(200);
    const second = await patch(u.uploadUrl, token, 0, data);
    assert.equal(second.status, 409);
    assert.match(((await second.json()) as { message: string }).message, /another request is writing to this upload/);
    hanging.destroy();
    let head = await offsetOf(u.uploadUrl, token);
    for (let i = 0; head.offset !== half && i < 50; i++, head = await offsetOf(u.uploadUrl, token)) await sleep(50);
    assert.equal(head.offset, half, 'the first request\'s bytes are kept');
    assert.equal((await patch(u.uploadUrl, token, half, data.subarray(half))).status, 204);
    const row = await h.ctx.submissions.get(u.uploadUrl.split('/').pop() ?? '');
    assert.ok(row && (await buffer(await h.ctx.blobs.get(row.zip_key))).equals(data));
  });

  it('refuses an upload larger than the limit before storing a byte, and a chunk past the length', async () => {
    const token = await h.participant();
    await acceptRules(h, token);
    const big = await createUpload(h.url, token, 'digits', (1 << 20) + 1);
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { message: string }).message, /larger than the limit of 1 MiB .*nothing was stored/);
    const small = await createUpload(h.url, token, 'digits', 10);
    const over = await patch(small.uploadUrl, token, 0, Buffer.alloc(11));
    assert.equal(over.status, 413);
    assert.deepEqual(await offsetOf(small.uploadUrl, token), { status: 200, offset: 0 });
  });

  it('drops a chunk whose checksum does not match (460) and a cut-off chunk that had one; the next try works', async () => {
    const token = await h.participant();
    await acceptRules(h, token);
    const u = await createUpload(h.url, token, 'digits', data.length);
    const first = data.subarray(0, 100);
    const { createHash } = await import('node:crypto');
    const sum = (b: Buffer) => `sha256 ${createHash('sha256').update(b).digest('base64')}`;
    const corrupt = Buffer.from(first);
    corrupt[10] = (corrupt[10] ?? 0) ^ 0xff;
    const bad = await patch(u.uploadUrl, token, 0, corrupt, { 'upload-checksum': sum(first) });
    assert.equal(bad.status, 460);
    assert.match(((await bad.json()) as { message: string }).message, /damaged on the way; send it again/);
    assert.equal((await offsetOf(u.uploadUrl, token)).offset, 0);
    assert.equal((await patch(u.uploadUrl, token, 0, first, { 'upload-checksum': 'crc99 abc' })).status, 400, 'an unknown algorithm');
    const good = await patch(u.uploadUrl, token, 0, first, { 'upload-checksum': sum(first) });
    assert.equal(good.status, 204);
    assert.equal(good.headers.get('upload-offset'), '100');
    assert.equal((await patch(u.uploadUrl, token, 50, first)).status, 409, 'a wrong offset');
    const rest = data.subarray(100);
    await patchThenDie(u.uploadUrl, token, 100, rest.subarray(0, 10), rest.length, { 'upload-checksum': sum(rest) });
    await sleep(100);
    assert.equal((await offsetOf(u.uploadUrl, token)).offset, 100, 'nothing of the cut-off chunk is kept');
    assert.equal((await patch(u.uploadUrl, token, 100, rest)).status, 204);
    const row = await h.ctx.submissions.get(u.uploadUrl.split('/').pop() ?? '');
    assert.ok(row);
    // Hashed as the chunks came in, the dropped one left out: recorded though the client sent no sha256.
    assert.equal(row.zip_sha256, sha256Hex(data));
  });

  it('refuses a whole file whose sha256 differs, or that is no zip, leaving nothing; the next upload works', async () => {
    const token = await h.participant();
    await acceptRules(h, token);
    const wrong = await createUpload(h.url, token, 'digits', data.length, { sha256: '0'.repeat(64) });
    const res = await patch(wrong.uploadUrl, token, 0, data);
    assert.equal(res.status, 460);
    assert.match(((await res.json()) as { message: string }).message, /sha256 is [0-9a-f]{64}, not 0{64}: it changed or was damaged/);
    const notZip = await createUpload(h.url, token, 'digits', 9);
    const refused = await patch(notZip.uploadUrl, token, 0, Buffer.from('not a zip'));
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { message: string }).message, /submission.zip: not a valid zip archive/);
    for (const u of [wrong, notZip]) {
      assert.equal((await offsetOf(u.uploadUrl, token)).status, 404);
      assert.equal(await h.ctx.submissions.get(u.uploadUrl.split('/').pop() ?? ''), undefined);
    }
    assert.deepEqual(await blobKeys(h, 'uploads'), []);
    assert.equal((await blobKeys(h, 'submissions')).some((k) => k.includes(wrong.uploadUrl.split('/').pop() ?? '-')), false);
    await tusUpload(h, token, zip);
  });

  it(`accepts exactly the quota (${QUOTA}) of 15 uploads completing at once`, async () => {
    const token = await h.participant();
    await acceptRules(h, token);
    const ups = await Promise.all(Array.from({ length: 15 }, () => createUpload(h.url, token, 'digits', data.length)));
    assert.ok(ups.every((u) => u.status === 201));
    const results = await Promise.all(ups.map((u) => patch(u.uploadUrl, token, 0, data)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [...Array(QUOTA).fill(204), ...Array(15 - QUOTA).fill(429)]);
    assert.ok(results.filter((r) => r.status === 429).every((r) => Number(r.headers.get('retry-after')) > 0));
    // And the quota now refuses a new upload at creation, before any byte.
    assert.equal((await createUpload(h.url, token, 'digits', data.length)).status, 429);
  });

  it("keeps one's upload from others, can be cancelled, and an abandoned one is swept with its parts", async () => {
    const token = await h.participant();
    await acceptRules(h, token);
    const u = await createUpload(h.url, token, 'digits', data.length);
    assert.equal((await patch(u.uploadUrl, token, 0, data.subarray(0, 64))).status, 204);
    const other = await h.participant();
    assert.equal((await offsetOf(u.uploadUrl, other)).status, 404);
    const id = u.uploadUrl.split('/').pop() ?? '';
    assert.equal((await blobKeys(h, `uploads/${id}`)).length, 1);
    assert.equal(await sweepUploads(h.ctx, new Date()), 0, 'not yet expired');
    assert.ok((await sweepUploads(h.ctx, new Date(Date.now() + 61 * 60_000))) >= 1);
    assert.deepEqual(await blobKeys(h, `uploads/${id}`), []);
    assert.equal((await offsetOf(u.uploadUrl, token)).status, 404);
    const cancelled = await createUpload(h.url, token, 'digits', data.length);
    await patch(cancelled.uploadUrl, token, 0, data.subarray(0, 64));
    assert.equal((await fetch(cancelled.uploadUrl, { method: 'DELETE', headers: tusHeaders(token) })).status, 204);
    assert.equal((await offsetOf(cancelled.uploadUrl, token)).status, 404);
    assert.deepEqual(await blobKeys(h, 'uploads'), []);
  });
});
