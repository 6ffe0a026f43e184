import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipFolder } from '../../src/archive/zip-folder.js';
import { sweepUploads } from '../../src/server/resumable/tus-routes.js';
import { demoBundle, startHoldout, type TestHoldout } from '../helpers/holdout-server.js';
import { metadata, offsetOf, patch, sha256Hex, tusHeaders } from '../helpers/tus-client.js';
import { call } from '../web/web-client.js';

/** The demo bundle under another slug, zipped; `edit` changes its competition.yaml. */
async function bundleZip(slug: string, edit: (yaml: string) => string = (y) => y): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdout-tus-bundle-'));
  await cp(demoBundle, path.join(dir, 'b'), { recursive: true });
  const yaml = path.join(dir, 'b', 'competition.yaml');
  await writeFile(yaml, edit((await readFile(yaml, 'utf8')).replace('slug: digits', `slug: ${slug}`)));
  await zipFolder(path.join(dir, 'b'), path.join(dir, 'b.zip'));
  return readFile(path.join(dir, 'b.zip'));
}

async function createBundleUpload(base: string, token: string, length: number, meta: Record<string, string> = {}): Promise<Response & { uploadUrl: string }> {
  const res = await fetch(`${base}/api/competitions/uploads`, { method: 'POST', headers: tusHeaders(token, { 'upload-length': String(length), 'upload-metadata': metadata(meta) }) });
  return Object.assign(res, { uploadUrl: new URL(res.headers.get('location') ?? '/missing', base).toString() });
}

describe('resumable bundle uploads (tus)', () => {
  let h: TestHoldout;
  let host: string;
  const keys = async (prefix: string) => {
    const out: string[] = [];
    for await (const k of h.ctx.blobs.list(prefix)) out.push(k);
    return out;
  };
  before(async () => {
    h = await startHoldout({ config: { workers: 0, maxUploadBytes: 8 << 20, uploadExpiryMinutes: 60 } });
    const admin = await h.admin();
    host = await h.participant('bundle-host');
    await call(h.url, 'PUT', '/api/admin/users/bundle-host/role', admin, { role: 'host' });
  });
  after(() => h.close());

  it('installs a bundle sent in two chunks and says which competition it made', async () => {
    const zip = await bundleZip('tus-one');
    const u = await createBundleUpload(h.url, host, zip.length, { filename: 'b.zip', sha256: sha256Hex(zip), slug: 'tus-one' });
    assert.equal(u.status, 201);
    const half = Math.floor(zip.length / 2);
    assert.equal((await patch(u.uploadUrl, host, 0, zip.subarray(0, half))).status, 204);
    assert.equal((await call(h.url, 'GET', '/api/competitions/tus-one')).status, 404, 'nothing before the last byte');
    assert.deepEqual(await offsetOf(u.uploadUrl, host), { status: 200, offset: half });
    assert.equal((await patch(u.uploadUrl, host, half, zip.subarray(half))).status, 204);
    const state = await call(h.url, 'GET', new URL(u.uploadUrl).pathname, host);
    assert.deepEqual(state.body, { id: u.uploadUrl.split('/').pop(), kind: 'bundle', length: zip.length, offset: zip.length, state: 'completed', expiresAt: (state.body as { expiresAt: string }).expiresAt, submissionId: null, competition: { slug: 'tus-one', title: 'Handwritten digits', created: true } });
    assert.equal((await call(h.url, 'GET', '/api/competitions/tus-one')).status, 200);
    assert.deepEqual([...(await keys('uploads')), ...(await keys('bundle-uploads'))], [], 'no parts or zip are left');
  });

  it('refuses a participant, a size over the limit and someone else\'s slug before storing a byte', async () => {
    const participant = await h.participant();
    const refused = await createBundleUpload(h.url, participant, 100);
    assert.equal(refused.status, 403);
    const big = await createBundleUpload(h.url, host, (8 << 20) + 1);
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { message: string }).message, /larger than the limit of 8 MiB for the bundle zip; nothing was stored/);
    const admin = await h.admin();
    const others = await createBundleUpload(h.url, admin, 100, { slug: 'digits' });
    assert.equal(others.status, 201, 'an admin may update any competition');
    const otherHost = await createBundleUpload(h.url, host, 100, { slug: 'digits' });
    assert.equal(otherHost.status, 403);
    assert.match(((await otherHost.json()) as { message: string }).message, /"digits" exists and you are not one of its hosts/);
    const me = (await call(h.url, 'GET', '/api/me', host)).body as { id: string };
    const open = await h.ctx.db.selectFrom('uploads').select('id').where('user_id', '=', me.id).where('completed', '=', 0).execute();
    assert.deepEqual(open, [], 'the refused creations left no upload');
  });

  it('answers the last chunk of a bad bundle with every problem, installs nothing and keeps nothing', async () => {
    const zip = await bundleZip('tus-bad', (y) => y.replace('memory: 1GiB', 'memory: lots'));
    const u = await createBundleUpload(h.url, host, zip.length);
    const res = await patch(u.uploadUrl, host, 0, zip);
    assert.equal(res.status, 422);
    const body = (await res.json()) as { error: string; message: string; details: unknown[] };
    assert.equal(body.error, 'invalid_bundle');
    assert.match(body.message, /limits\.memory/);
    assert.ok(body.details.length >= 1);
    assert.equal((await call(h.url, 'GET', '/api/competitions/tus-bad')).status, 404);
    assert.equal((await offsetOf(u.uploadUrl, host)).status, 404, 'the upload is gone: the next try starts afresh');
    assert.deepEqual([...(await keys('uploads')), ...(await keys('bundle-uploads')), ...(await keys('bundles/tus-bad'))], []);
  });

  it('sweeps an abandoned bundle upload with what it stored', async () => {
    const zip = await bundleZip('tus-left');
    const u = await createBundleUpload(h.url, host, zip.length);
    assert.equal((await patch(u.uploadUrl, host, 0, zip.subarray(0, 1000))).status, 204);
    const id = u.uploadUrl.split('/').pop() ?? '';
    assert.equal((await keys(`uploads/${id}`)).length, 1);
    assert.ok((await sweepUploads(h.ctx, new Date(Date.now() + 61 * 60_000))) >= 1);
    assert.deepEqual(await keys(`uploads/${id}`), []);
    assert.equal((await offsetOf(u.uploadUrl, host)).status, 404);
  });

  it('lists the tus operations in the OpenAPI document', async () => {
    const doc = (await call(h.url, 'GET', '/api/openapi.json')).body as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> }; parameters: { name: string; in: string }[] }>> };
    assert.deepEqual(Object.keys(doc.paths['/api/uploads/{id}'] ?? {}).sort(), ['delete', 'get', 'head', 'patch']);
    assert.ok(doc.paths['/api/uploads/{id}']?.patch?.requestBody?.content['application/offset+octet-stream']);
    assert.ok(doc.paths['/api/uploads/{id}']?.patch?.parameters.some((p) => p.in === 'header' && p.name === 'Upload-Offset'));
    assert.ok(doc.paths['/api/competitions/uploads']?.post);
    assert.ok(doc.paths['/api/competitions/{slug}/submissions/uploads']?.post);
    assert.ok(doc.paths['/api/uploads']?.options);
  });
});
