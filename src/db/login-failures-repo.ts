import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Failed sign-ins by key, shared by every server process of one database. */
export class LoginFailuresRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Times (ms) of the most recent `limit` failures of `key` since `since`, newest first. */
  async recent(key: string, since: number, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('login_failures')
      .select('at')
      .where('key', '=', key)
      .where('at', '>', new Date(since).toISOString())
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => Date.parse(r.at));
  }

  /**
   * Records a failure under each key and forgets every failure older than `forgetBefore`, of any
   * key: sprayed usernames and addresses are not kept past the window.
   */
  async record(keys: readonly string[], at: number, forgetBefore: number): Promise<void> {
    await this.db.deleteFrom('login_failures').where('at', '<=', new Date(forgetBefore).toISOString()).execute();
    await this.db.insertInto('login_failures').values(keys.map((key) => ({ key, at: new Date(at).toISOString() }))).execute();
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('key', '=', key).execute();
  }
}
