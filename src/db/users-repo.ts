import type { Kysely } from 'kysely';
import type { Insertable } from 'kysely';
import type { Database, UserRow, UsersTable } from './schema.js';

export class UsersRepo {
  constructor(private readonly db: Kysely<Database>) {}

  create(user: Insertable<UsersTable>): Promise<UserRow> {
    return this.db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
  }

  byName(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  byId(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async addToken(token: { id: string; userId: string; hash: string; kind: 'session' | 'api'; name: string; expiresAt: string | null }): Promise<void> {
    await this.db
      .insertInto('tokens')
      .values({
        id: token.id,
        user_id: token.userId,
        token_hash: token.hash,
        kind: token.kind,
        name: token.name,
        created_at: new Date().toISOString(),
        expires_at: token.expiresAt,
      })
      .execute();
  }

  /** The user a token hash belongs to, unless the token has expired. */
  byTokenHash(hash: string, now = new Date().toISOString()): Promise<(UserRow & { token_id: string }) | undefined> {
    return this.db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .selectAll('users')
      .select('tokens.id as token_id')
      .where('tokens.token_hash', '=', hash)
      .where((eb) => eb.or([eb('tokens.expires_at', 'is', null), eb('tokens.expires_at', '>', now)]))
      .executeTakeFirst();
  }

  listTokens(userId: string) {
    return this.db
      .selectFrom('tokens')
      .select(['id', 'name', 'kind', 'created_at', 'expires_at'])
      .where('user_id', '=', userId)
      .where('kind', '=', 'api')
      .orderBy('created_at')
      .execute();
  }

  async deleteToken(userId: string, tokenId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('tokens').where('id', '=', tokenId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
