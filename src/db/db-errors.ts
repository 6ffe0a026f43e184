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
