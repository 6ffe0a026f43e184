import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHoldout, upload, type TestHoldout } from '../helpers/holdout-server.js';
import { hostileZips } from './hostile-zips.js';

/** Files anywhere under `dir` whose name contains `marker`. */
async function filesNamed(dir: string, marker: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => []);
  return entries.filter((e) => e.includes(marker));
}

describe('attack: archives are refused at upload, with a reason, leaving nothing behind', () => {
  let h: TestHoldout;
  let token: string;
  const marker = `holdout-escape-${randomUUID()}`;

  before(async () => {
    // No worker: a refused upload must never reach one.
    h = await startHoldout({ config: { workers: 0, maxUnpackedBytes: 16 << 20, maxFiles: 50 } });
    token = await h.participant();
  });
  after(() => h.close());

  async function nothingStored(): Promise<void> {
    assert.deepEqual(await h.ctx.db.selectFrom('submissions').select('id').execute(), [], 'submission rows');
    const keys: string[] = [];
    for await (const k of h.ctx.blobs.list('submissions')) keys.push(k);
    assert.deepEqual(keys, [], 'stored zips');
    assert.deepEqual(await readdir(path.join(h.dataDir, 'uploads')).catch(() => []), [], 'upload leftovers');
  }

  for (const attack of hostileZips(marker)) {
    it(`refuses ${attack.name}`, async () => {
      const started = Date.now();
      const res = await upload(h.url, token, 'digits', attack.zip);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error, 'invalid_archive', JSON.stringify(res.body));
      assert.match(String(res.body.message), attack.message);
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
      await nothingStored();
    });
  }

  it('wrote no escaped file anywhere', async () => {
    assert.deepEqual(await filesNamed(h.dataDir, marker), [], 'in the data folder');
    assert.deepEqual(await filesNamed(tmpdir(), marker).then((f) => f.filter((n) => !n.includes('/'))), [], 'in /tmp');
    assert.deepEqual(await filesNamed(path.dirname(h.dataDir), marker), [], 'next to the data folder');
  });
});
