import type { Kysely } from 'kysely';
import type { SubmissionKind } from '../domain/submission.js';
import type { Database, UploadRow } from './schema.js';

/** One stored piece of an upload, a blob of its own. */
export interface UploadPart {
  key: string;
  bytes: number;
}

/** A resumable upload as the server works with it. */
export interface Upload {
  id: string;
  userId: string;
  competitionId: string;
  kind: SubmissionKind;
  length: number;
  received: number;
  parts: UploadPart[];
  metadata: Record<string, string>;
  expiresAt: string;
  completed: boolean;
}

function fromRow(r: UploadRow): Upload {
  return {
    id: r.id,
    userId: r.user_id,
    competitionId: r.competition_id,
    kind: r.kind as SubmissionKind,
    // PostgreSQL returns bigint as text.
    length: Number(r.length),
    received: Number(r.received),
    parts: JSON.parse(r.parts) as UploadPart[],
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    expiresAt: r.expires_at,
    completed: r.completed === 1,
  };
}

/** Resumable uploads, shared by every server process of one database. */
export class UploadsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(u: Omit<Upload, 'received' | 'parts' | 'completed'>, now: Date): Promise<void> {
    await this.db.insertInto('uploads').values({
      id: u.id, user_id: u.userId, competition_id: u.competitionId, kind: u.kind, length: u.length, received: 0,
      parts: '[]', metadata: JSON.stringify(u.metadata), created_at: now.toISOString(), expires_at: u.expiresAt,
    }).execute();
  }

  async get(id: string): Promise<Upload | undefined> {
    const row = await this.db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /**
   * Appends a stored part, only if nobody appended one since `upload` was read (the offset is
   * unchanged): of two requests at one offset, one wins; the other's part is the caller's to delete.
   */
  async appendPart(upload: Upload, part: UploadPart, expiresAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('uploads')
      .set({ received: upload.received + part.bytes, parts: JSON.stringify([...upload.parts, part]), expires_at: expiresAt })
      .where('id', '=', upload.id)
      .where('received', '=', upload.received)
      .where('completed', '=', 0)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async markCompleted(id: string): Promise<void> {
    await this.db.updateTable('uploads').set({ completed: 1, parts: '[]' }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('uploads').where('id', '=', id).execute();
  }

  /** Uploads whose time is up, finished or not: the sweep removes them (and any parts left). */
  async expired(now: Date, limit = 100): Promise<Upload[]> {
    const rows = await this.db.selectFrom('uploads').selectAll().where('expires_at', '<=', now.toISOString()).limit(limit).execute();
    return rows.map(fromRow);
  }
}
