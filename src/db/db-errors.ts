/** True when a write broke a unique constraint, in any supported dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // better-sqlite3: SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY; PostgreSQL: 23505.
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** The daily submission quota is used up. */
export class QuotaExceededError extends Error {
  constructor(readonly quota: number) {
    super(`daily submission quota of ${quota} reached`);
    this.name = 'QuotaExceededError';
  }
}

/** Errors of node's sockets that mean the database server could not be reached or went away. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL: shutting down or starting (57P01-03), too many connections (53300), deadlock (40P01). */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40P01']);

/**
 * True when an error says the database could not be reached or was busy for a moment (a restart,
 * a failover, a dropped connection, a lock), so the same statement may succeed if tried again;
 * false when it refused the statement itself (a constraint, a bug), which trying again would repeat.
 */
export function isTransientDbError(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) || code.startsWith('08')) return true;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return true;
  }
  // node-postgres reports a dropped or refused connection with a message and no code.
  return typeof message === 'string' && /^Connection terminated|timeout exceeded when trying to connect|not queryable/.test(message);
}
