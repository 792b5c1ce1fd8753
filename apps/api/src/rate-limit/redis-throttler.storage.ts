import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { CacheStore, withTimeout } from '@linkpool/cache';
import { AppConfig } from '@linkpool/config';
import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { REDIRECT_THROTTLER } from './throttlers.js';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * One fixed-window counter per key: INCR, and on the first hit of a window PEXPIRE; atomic, one
 * round trip. Returns the hits so far and the window's remaining milliseconds.
 */
const INCREMENT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { hits, ttl }`;

/**
 * Rate-limit counters shared by every instance through the Redis connection CacheStore owns.
 * Like the cache, it is never a dependency: with no Redis configured, while Redis is down, or
 * when it does not answer within CACHE_TIMEOUT_MS, requests are counted in process instead
 * (limits then hold per instance), so no request fails or hangs because of Redis.
 * The opt-in redirect limit is always counted in process.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly local = new ThrottlerStorageService();
  private readonly keyPrefix: string;
  private readonly timeoutMs: number;
  private degraded = false;

  constructor(
    private readonly store: CacheStore,
    config: AppConfig,
  ) {
    this.keyPrefix = `${config.cache.keyPrefix}:ratelimit:`;
    this.timeoutMs = config.cache.timeoutMs;
  }

  /** @param ttl window length in ms (as @nestjs/throttler passes it); times in the record are in seconds. */
  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const client = this.store.redisClient;
    if (!client || throttlerName === REDIRECT_THROTTLER) return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    if (this.store.state !== 'up') return this.fallBack('Redis is unreachable', key, ttl, limit, blockDuration, throttlerName);
    try {
      const reply = await withTimeout(
        client.eval(INCREMENT_SCRIPT, { keys: [this.keyPrefix + key], arguments: [String(ttl)] }),
        this.timeoutMs,
      );
      const [hits, remainingMs] = reply as [number, number];
      if (this.degraded) {
        this.degraded = false;
        this.logger.log('rate limits are shared through Redis again');
      }
      const timeToExpire = Math.max(1, Math.ceil(remainingMs / 1000));
      const isBlocked = hits > limit;
      return { totalHits: hits, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
    } catch (error) {
      return this.fallBack((error as Error).message, key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }

  private fallBack(reason: string, ...args: Parameters<ThrottlerStorage['increment']>): Promise<ThrottlerStorageRecord> {
    if (!this.degraded) {
      this.degraded = true;
      this.logger.warn(`rate limits counted per instance until Redis answers again (${reason})`);
    }
    return this.local.increment(...args);
  }
}
