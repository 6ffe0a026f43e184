import type { LoginFailuresRepo } from '../db/login-failures-repo.js';

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
 * password guessing is slow whether it targets one account or sprays many. The failures are kept
 * in the database, so several servers behind a load balancer share one allowance.
 */
export class LoginLimiter {
  constructor(
    private readonly failures: LoginFailuresRepo,
    private readonly limits: LoginLimits = defaultLoginLimits,
  ) {}

  /** Seconds to wait before trying again, or 0 when a login may be tried now. */
  async retryAfter(username: string, address: string, now = Date.now()): Promise<number> {
    const wait = async (key: string, max: number) => {
      const times = await this.failures.recent(key, now - this.limits.windowMs, max);
      // The max-th most recent failure leaves the window first.
      return times.length >= max ? Math.ceil(((times[max - 1] ?? now) + this.limits.windowMs - now) / 1000) : 0;
    };
    const waits = await Promise.all([wait(userKey(username), this.limits.perUser), wait(`a:${address}`, this.limits.perAddress)]);
    return Math.max(...waits);
  }

  failed(username: string, address: string, now = Date.now()): Promise<void> {
    return this.failures.record([userKey(username), `a:${address}`], now, now - this.limits.windowMs);
  }

  succeeded(username: string): Promise<void> {
    return this.failures.clear(userKey(username));
  }
}

const userKey = (username: string) => `u:${username.toLowerCase()}`;
