import type { Kysely } from 'kysely';
import type { Database, WorkerTokensTable } from './schema.js';

/** A worker token as the API shows it (never the token itself). */
export interface WorkerToken {
  id: string;
  name: string;
  createdBy: string;
  /** Ids of the competitions whose queues it serves. */
  competitionIds: string[];
  createdAt: string;
}

function fromRow(row: WorkerTokensTable): WorkerToken {
  return { id: row.id, name: row.name, createdBy: row.created_by, competitionIds: JSON.parse(row.competition_ids) as string[], createdAt: row.created_at };
}

/** Tokens of outbound-only workers (`holdout worker --server`), each scoped to some competitions. */
export class WorkerTokensRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async add(token: { id: string; hash: string; name: string; createdBy: string; competitionIds: readonly string[] }): Promise<WorkerToken> {
    const row = { id: token.id, token_hash: token.hash, name: token.name, created_by: token.createdBy, competition_ids: JSON.stringify(token.competitionIds), created_at: new Date().toISOString() };
    await this.db.insertInto('worker_tokens').values(row).execute();
    return fromRow(row);
  }

  async byHash(hash: string): Promise<WorkerToken | undefined> {
    const row = await this.db.selectFrom('worker_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    return row && fromRow(row);
  }

  async listBy(userId: string): Promise<WorkerToken[]> {
    const rows = await this.db.selectFrom('worker_tokens').selectAll().where('created_by', '=', userId).orderBy('created_at').execute();
    return rows.map(fromRow);
  }

  /** Revokes a token its creator owns; false when there is none. */
  async delete(userId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('worker_tokens').where('id', '=', id).where('created_by', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
