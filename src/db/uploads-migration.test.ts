import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { dialectFor } from './create-database.js';
import { migrateTo, migrateToLatest } from './migrations.js';
import { testDialects } from './test-databases.case.js';

for (const dialect of testDialects) {
  describe(`migration 0190_bundle_uploads (${dialect.name})`, { skip: dialect.skip }, () => {
    it('keeps the uploads in flight and lets a bundle upload have no competition', async () => {
      const database = await dialect.create();
      const db = (await dialectFor(database.url).open(database.url)) as unknown as Kysely<unknown>;
      try {
        await migrateTo(db, '0160_worker_tokens');
        const row = { id: 'u1', user_id: 'x', competition_id: 'c1', kind: 'full', length: 10, received: 4, parts: '[{"key":"uploads/u1/data","bytes":4}]', metadata: '{}', created_at: 'a', expires_at: 'b' };
        await (db as Kysely<{ uploads: typeof row }>).insertInto('uploads').values(row).execute();
        await migrateToLatest(db);
        const after = db as Kysely<{ uploads: Omit<typeof row, 'competition_id'> & { completed: number; result: string | null; competition_id: string | null } }>;
        const kept = await after.selectFrom('uploads').selectAll().execute();
        assert.deepEqual(kept.map((r) => ({ ...r, length: Number(r.length), received: Number(r.received) })), [{ ...row, completed: 0, result: null }]);
        await after.insertInto('uploads').values({ ...row, id: 'u2', kind: 'bundle', competition_id: null, completed: 0, result: null }).execute();
        assert.equal((await after.selectFrom('uploads').select('id').where('competition_id', 'is', null).execute()).length, 1);
      } finally {
        await db.destroy();
        await database.drop();
      }
    });
  });
}
