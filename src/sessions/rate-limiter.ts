import { Injectable } from '@nestjs/common';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors.js';
import { SharedRedis } from '../redis/shared-redis.js';

const WINDOW_SECONDS = 60;

/**
 * Per-client-IP limits for the unauthenticated routes that guess at credentials, in fixed
 * one-minute windows (rate-limiter-flexible): login and password-reset attempts share one
 * budget; failed refreshes (a token that was never valid, or a spent one) have their own, so
 * an office's many logins do not stop its users' refreshes.
 *
 * With REDIS_URL the counts live in Redis, shared by every instance. When Redis cannot be
 * reached (not connected, or no answer within 500 ms) each call falls back at once to an
 * in-memory limiter of the same size: limits are then per instance until Redis answers
 * again, and no request fails for it. Without REDIS_URL the in-memory limiter is all there is.
 */
@Injectable()
export class LoginRateLimiter {
  private readonly attempts: RateLimiterAbstract;
  private readonly failedRefreshes: RateLimiterAbstract;
  private readonly limit: number;

  constructor(config: AppConfig, redis: SharedRedis) {
    this.limit = config.auth.loginRateLimit;
    const prefix = config.operations.redisKeyPrefix;
    this.attempts = limiter(this.limit, `${prefix}limit:login`, redis);
    this.failedRefreshes = limiter(this.limit, `${prefix}limit:refresh`, redis);
  }

  /** Counts one login or password-reset attempt from ip; past the limit, a 429 with Retry-After. */
  async hit(ip: string): Promise<void> {
    try {
      await this.attempts.consume(ip);
    } catch (error) {
      throw refusal(error);
    }
  }

  /** Refuses (429) an address that has used up its failed refreshes this minute; counts nothing. */
  async checkRefresh(ip: string): Promise<void> {
    const state = await this.failedRefreshes.get(ip);
    if (state && state.consumedPoints >= this.limit) throw refusal(state);
  }

  /** Counts one failed refresh from ip. */
  async refreshFailed(ip: string): Promise<void> {
    await this.failedRefreshes.penalty(ip);
  }
}

function limiter(points: number, keyPrefix: string, redis: SharedRedis): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration: WINDOW_SECONDS, keyPrefix });
  if (!redis.client) return memory;
  return new RateLimiterRedis({
    storeClient: redis.client,
    points,
    duration: WINDOW_SECONDS,
    keyPrefix,
    insuranceLimiter: memory,
    // While the connection is down, go to the insurance limiter without trying Redis.
    rejectIfRedisNotReady: true,
    // An address past its limit is refused from memory for the rest of its window, so a flood
    // from one address costs Redis nothing.
    inMemoryBlockOnConsumed: points + 1,
  });
}

function refusal(error: unknown): Error {
  if (!(error instanceof RateLimiterRes)) return error instanceof Error ? error : new Error(String(error));
  const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
  return new DomainError('rate_limited', `Too many attempts from this address; retry in ${retryAfter} s`, undefined, {
    'retry-after': String(retryAfter),
  });
}
