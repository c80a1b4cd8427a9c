import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors.js';

const WINDOW_MS = 60_000;

/**
 * Fixed one-minute windows per client IP for the unauthenticated routes that guess at
 * credentials (login, password reset). Counts live in this instance's memory.
 */
@Injectable()
export class LoginRateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  private lastSweep = Date.now();

  constructor(private readonly config: AppConfig) {}

  /** Counts one attempt from ip; past the limit, a 429 with Retry-After. */
  hit(ip: string, now = Date.now()): void {
    if (now - this.lastSweep > WINDOW_MS) this.sweep(now);
    const window = this.windows.get(ip);
    if (!window || now - window.start >= WINDOW_MS) {
      this.windows.set(ip, { start: now, count: 1 });
      return;
    }
    window.count += 1;
    if (window.count > this.config.auth.loginRateLimit) {
      const retryAfter = Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000));
      throw new DomainError('rate_limited', `Too many attempts from this address; retry in ${retryAfter} s`, undefined, {
        'retry-after': String(retryAfter),
      });
    }
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [ip, window] of this.windows) if (now - window.start >= WINDOW_MS) this.windows.delete(ip);
  }
}
