import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { createDatabase } from '../db/create-database.js';
import { LoginFailuresRepo } from '../db/login-failures-repo.js';
import type { Database } from '../db/schema.js';
import { testDialects, type TestDatabase } from '../db/test-databases.case.js';
import { LoginLimiter } from './login-limiter.js';

const limits = { perUser: 5, perAddress: 8, windowMs: 60_000 };

for (const dialect of testDialects) {
  describe(`LoginLimiter on ${dialect.name}`, { skip: dialect.skip }, () => {
    let test: TestDatabase;
    let db: Kysely<Database>;
    // Two server processes behind one load balancer: one database, two limiters.
    let a: LoginLimiter;
    let b: LoginLimiter;
    beforeEach(async () => {
      test = await dialect.create();
      db = (await createDatabase(test.url)).db;
      a = new LoginLimiter(new LoginFailuresRepo(db), limits);
      b = new LoginLimiter(new LoginFailuresRepo(db), limits);
    });
    afterEach(async () => {
      await db.destroy();
      await test.drop();
    });

    it('locks a username after failures counted on every server, until the oldest leaves the window', async () => {
      const t0 = Date.parse('2026-11-25T12:00:00Z');
      for (let i = 0; i < 5; i++) await (i % 2 ? a : b).failed('Target', `10.0.0.${i}`, t0 + i * 1000);
      assert.equal(await a.retryAfter('target', '10.0.0.99', t0 + 4000), 56, 'the first failure leaves the window at t0 + 60 s');
      assert.equal(await b.retryAfter('TARGET', '10.0.0.99', t0 + 30_000), 30);
      assert.equal(await a.retryAfter('target', '10.0.0.99', t0 + 60_000), 0);
      assert.equal(await a.retryAfter('bystander', '10.0.0.99', t0 + 4000), 0, 'other accounts are not locked');
    });

    it('limits one address spraying many usernames, and a success clears only the username', async () => {
      const t0 = Date.parse('2026-11-25T12:00:00Z');
      for (let i = 0; i < 8; i++) await a.failed(`user${i}`, '203.0.113.7', t0 + i);
      assert.ok((await b.retryAfter('fresh', '203.0.113.7', t0 + 10)) > 0, 'the address is limited');
      assert.equal(await b.retryAfter('fresh', '203.0.113.8', t0 + 10), 0);
      for (let i = 0; i < 5; i++) await a.failed('carol', '198.51.100.1', t0 + i);
      await b.succeeded('carol');
      assert.equal(await a.retryAfter('carol', '198.51.100.2', t0 + 10), 0);
      assert.ok((await a.retryAfter('other', '203.0.113.7', t0 + 10)) > 0, 'the address count stays');
    });

    it('forgets failures that left the window, of every key, at the next failure', async () => {
      const t0 = Date.parse('2026-11-25T12:00:00Z');
      for (let i = 0; i < 4; i++) await a.failed(`sprayed-${i}`, '192.0.2.1', t0 + i);
      await b.failed('erin', '192.0.2.2', t0 + 120_000);
      const rows = await db.selectFrom('login_failures').select('key').orderBy('key').execute();
      assert.deepEqual(rows.map((r) => r.key), ['a:192.0.2.2', 'u:erin']);
    });
  });
}
