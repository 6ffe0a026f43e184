import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createDatabase } from './create-database.js';
import { testDialects } from './test-databases.case.js';

const fixture = path.join(import.meta.dirname, 'open-database.case.ts');

/** Opens `url` from `n` processes at the same moment; resolves with their failures. */
async function openAtOnce(url: string, n: number): Promise<string[]> {
  const runs = Array.from({ length: n }, () => promisify(execFile)(process.execPath, ['--import', 'tsx', fixture, url]));
  const settled = await Promise.allSettled(runs);
  return settled.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as { stderr?: string }).stderr ?? r.reason)] : []));
}

for (const dialect of testDialects) {
  describe(`several processes opening a new ${dialect.name} database at once (a server and its workers)`, { skip: dialect.skip }, () => {
    it('one applies the migrations, the others wait and find them applied', async () => {
      // A race is a matter of luck: a few fresh databases make a lost one show.
      for (let round = 0; round < 3; round++) {
        const database = await dialect.create();
        try {
          assert.deepEqual(await openAtOnce(database.url, 5), []);
          const { db } = await createDatabase(database.url);
          const twice = await sql<{ name: string }>`select name from kysely_migration group by name having count(*) > 1`.execute(db);
          const applied = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(db);
          await db.destroy();
          assert.deepEqual(twice.rows, [], 'no migration applied twice');
          assert.ok(Number(applied.rows[0]!.n) > 0);
        } finally {
          await database.drop();
        }
      }
    });
  });
}
