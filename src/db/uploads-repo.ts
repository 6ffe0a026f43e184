import type { Kysely } from 'kysely';
import type { SubmissionKind } from '../domain/submission.js';
import type { Database, UploadRow } from './schema.js';

/** One stored piece of an upload, a blob of its own. */
export interface UploadPart {
  key: string;
  bytes: number;
}

/** What an upload becomes: a submission (full or smoke run), or a competition bundle. */
export type UploadKind = SubmissionKind | 'bundle';

/** What a completed bundle upload installed. */
export interface BundleResult {
  slug: string;
  title: string;
  created: boolean;
}

/** A resumable upload as the server works with it. */
export interface Upload {
  id: string;
  userId: string;
  /** null for a bundle (its competition exists only once it is installed). */
  competitionId: string | null;
  kind: UploadKind;
  length: number;
  received: number;
  parts: UploadPart[];
  metadata: Record<string, string>;
  expiresAt: string;
  completed: boolean;
  /** All bytes are in and the upload is being turned into what it becomes (a bundle's install). */
  checking: boolean;
  result: BundleResult | null;
}

function fromRow(r: UploadRow): Upload {
  return {
    id: r.id,
    userId: r.user_id,
    competitionId: r.competition_id,
    kind: r.kind as UploadKind,
    // PostgreSQL returns bigint as text.
    length: Number(r.length),
    received: Number(r.received),
    parts: JSON.parse(r.parts) as UploadPart[],
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    expiresAt: r.expires_at,
    completed: r.completed === 1,
    checking: r.completed === 2,
    result: r.result ? (JSON.parse(r.result) as BundleResult) : null,
  };
}

/** Resumable uploads, shared by every server process of one database. */
export class UploadsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(u: Omit<Upload, 'received' | 'parts' | 'completed' | 'checking' | 'result'>, now: Date): Promise<void> {
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

  /**
   * Claims a fully received upload for completing it (state 2): of two requests that both saw the
   * last byte arrive, only one installs the bundle. @returns whether this caller got it
   */
  async claimCompletion(id: string): Promise<boolean> {
    const result = await this.db.updateTable('uploads').set({ completed: 2 }).where('id', '=', id).where('completed', '=', 0).whereRef('received', '=', 'length').executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async markCompleted(id: string, result?: BundleResult): Promise<void> {
    await this.db.updateTable('uploads').set({ completed: 1, parts: '[]', ...(result ? { result: JSON.stringify(result) } : {}) }).where('id', '=', id).execute();
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
