import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** What `/api/me/events` sends when one of a user's runs reaches a final status. */
export interface RunEnded {
  id: string;
  kind: string;
  status: string;
  reason: string | null;
  finishedAt: string | null;
  competition: { slug: string; title: string };
  publicScore: number | null;
}

interface Subscriber {
  userId: string;
  /** Ends before this are not the subscriber's news. */
  since: string;
  send(event: RunEnded): void;
}

/** How far back each look reads: writers' clocks differ a little, and a row may land late. */
const WINDOW_MS = 60_000;
/** Users per query: well under what SQLite and PostgreSQL take as parameters of one statement. */
const USERS_PER_QUERY = 500;

/**
 * Runs that ended, for every connected user's event stream, from one reading of the database per
 * `pollMs` however many streams are open (not one per stream), and at once when this process's
 * worker says a run changed. Runs ended by other processes' workers are seen at the next look.
 * Each end is sent once per stream; the reading stops while no stream is open.
 */
export class RunEndFeed {
  readonly #subscribers = new Set<Subscriber>();
  /** Ends already sent, by `id@finishedAt`, with when they were seen; forgotten past the window. */
  readonly #sent = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #looking: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onError: (err: unknown) => void,
    private readonly pollMs = 1000,
  ) {}

  /** @returns the unsubscribe function */
  subscribe(userId: string, send: (event: RunEnded) => void, now = new Date()): () => void {
    const subscriber = { userId, since: now.toISOString(), send };
    this.#subscribers.add(subscriber);
    this.#timer ??= setInterval(() => this.look(), this.pollMs);
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.stop();
    };
  }

  /** A look soon: one at a time, and one more after it when asked meanwhile. */
  look(): void {
    if (this.#subscribers.size === 0) return;
    if (this.#looking) {
      this.#again = true;
      return;
    }
    this.#looking = this.#read()
      .catch(this.onError)
      .finally(() => {
        this.#looking = undefined;
        if (this.#again) {
          this.#again = false;
          this.look();
        }
      });
  }

  /** Resolves once no look is under way (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#looking) await this.#looking;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #read(): Promise<void> {
    const now = Date.now();
    const byUser = new Map<string, Subscriber[]>();
    for (const s of this.#subscribers) byUser.set(s.userId, [...(byUser.get(s.userId) ?? []), s]);
    const earliest = [...this.#subscribers].reduce((min, s) => (s.since < min ? s.since : min), new Date(now).toISOString());
    const since = new Date(Math.max(Date.parse(earliest), now - WINDOW_MS)).toISOString();
    const users = [...byUser.keys()];
    for (let i = 0; i < users.length; i += USERS_PER_QUERY) {
      const rows = await this.db
        .selectFrom('submissions')
        .innerJoin('competitions', 'competitions.id', 'submissions.competition_id')
        .select(['submissions.id', 'submissions.user_id', 'submissions.kind', 'submissions.status', 'submissions.reason', 'submissions.finished_at', 'submissions.public_primary', 'competitions.slug', 'competitions.title'])
        .where('submissions.user_id', 'in', users.slice(i, i + USERS_PER_QUERY))
        .where('submissions.status', 'in', ['scored', 'failed', 'cancelled'])
        .where('submissions.finished_at', '>=', since)
        .orderBy('submissions.finished_at')
        .execute();
      for (const r of rows) {
        const key = `${r.id}@${r.finished_at ?? ''}`;
        if (this.#sent.has(key)) continue;
        this.#sent.set(key, now);
        const event: RunEnded = {
          id: r.id, kind: r.kind, status: r.status, reason: r.reason, finishedAt: r.finished_at,
          competition: { slug: r.slug, title: r.title }, publicScore: r.status === 'scored' ? r.public_primary : null,
        };
        for (const s of byUser.get(r.user_id) ?? []) if ((r.finished_at ?? '') >= s.since && this.#subscribers.has(s)) s.send(event);
      }
    }
    for (const [key, seenAt] of this.#sent) if (seenAt < now - 2 * WINDOW_MS) this.#sent.delete(key);
  }
}
