/** Limits of {@link LoginLimiter}. */
export interface LoginLimits {
  /** Failed logins per username within the window before it is locked. @defaultValue 5 */
  perUser: number;
  /** Failed logins per client address within the window. @defaultValue 30 */
  perAddress: number;
  /** @defaultValue 15 minutes */
  windowMs: number;
}

export const defaultLoginLimits: LoginLimits = Object.freeze({ perUser: 5, perAddress: 30, windowMs: 15 * 60_000 });

/**
 * Counts failed logins per username and per client address in a sliding window, so that
 * password guessing is slow whether it targets one account or sprays many.
 * @remarks In memory: each server process counts its own; several servers behind a load balancer
 * multiply the allowance by their number.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: LoginLimits = defaultLoginLimits) {}

  private recent(key: string, now: number): number[] {
    const kept = (this.failures.get(key) ?? []).filter((t) => now - t < this.limits.windowMs);
    if (kept.length) this.failures.set(key, kept);
    else this.failures.delete(key);
    return kept;
  }

  /** Seconds to wait before trying again, or 0 when a login may be tried now. */
  retryAfter(username: string, address: string, now = Date.now()): number {
    const wait = (key: string, max: number) => {
      const times = this.recent(key, now);
      return times.length >= max ? Math.ceil(((times[times.length - max] ?? now) + this.limits.windowMs - now) / 1000) : 0;
    };
    return Math.max(wait(`u:${username.toLowerCase()}`, this.limits.perUser), wait(`a:${address}`, this.limits.perAddress));
  }

  failed(username: string, address: string, now = Date.now()): void {
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) this.failures.set(key, [...this.recent(key, now), now]);
  }

  succeeded(username: string): void {
    this.failures.delete(`u:${username.toLowerCase()}`);
  }
}
