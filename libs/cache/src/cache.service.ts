import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@linkpool/config';
import type { Cache } from 'cache-manager';
import { CacheStore } from './cache-store.js';
import { withTimeout } from './with-timeout.js';

/** What the store holds for a key whose loader found nothing (negative caching). */
const ABSENT = { absent: true } as const;
type Stored<T> = T | typeof ABSENT;
const isAbsent = (value: unknown): value is typeof ABSENT =>
  typeof value === 'object' && value !== null && (value as { absent?: unknown }).absent === true;

interface InFlight<T> {
  promise: Promise<T | null>;
  /** Set when the key is invalidated while loading: the loaded value may predate the change. */
  stale: boolean;
}

/**
 * Cache-aside in front of a loader (Postgres): `get(key, loader)` answers from the cache,
 * or runs the loader once for all concurrent callers and stores its answer, including
 * "nothing there" for a shorter TTL. The cache is an accelerator, never a dependency:
 * every cache call is bounded by `CACHE_TIMEOUT_MS`, and any cache failure falls back to the loader.
 */
@Injectable()
export class CacheService {
  private readonly logger = new Logger('Cache');
  private readonly inFlight = new Map<string, InFlight<unknown>>();
  /** Keys whose invalidation may not have reached Redis; deleted again once it is back. */
  private readonly pendingInvalidations = new Set<string>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly timeoutMs: number;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly store: CacheStore,
    config: AppConfig,
  ) {
    this.ttlMs = config.cache.ttlSeconds * 1000;
    this.negativeTtlMs = config.cache.negativeTtlSeconds * 1000;
    this.timeoutMs = config.cache.timeoutMs;
    store.onReady(() => void this.retryPendingInvalidations());
  }

  /**
   * The value for `key`: from the cache, or else from `loader` (then cached).
   * A `null` from the loader is cached too, for the negative TTL.
   */
  async get<T>(key: string, loader: () => Promise<T | null>): Promise<T | null> {
    const joined = this.inFlight.get(key) as InFlight<T> | undefined;
    if (joined) return joined.promise;

    const entry: InFlight<T> = { promise: this.readThrough(key, loader, () => entry.stale), stale: false };
    this.inFlight.set(key, entry as InFlight<unknown>);
    try {
      return await entry.promise;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Drops `key` so the next `get` reloads it. Never throws; a delete Redis missed is retried when it returns. */
  async invalidate(key: string): Promise<void> {
    const entry = this.inFlight.get(key);
    if (entry) entry.stale = true;
    if (await this.tryDelete(key)) this.pendingInvalidations.delete(key);
    else this.pendingInvalidations.add(key);
  }

  private async readThrough<T>(key: string, loader: () => Promise<T | null>, isStale: () => boolean): Promise<T | null> {
    // A key whose delete Redis may have missed is read from the loader until the delete lands.
    const cached = this.pendingInvalidations.has(key) ? undefined : await this.tryRead<T>(key);
    if (cached !== undefined) return isAbsent(cached) ? null : cached;

    const value = await loader();
    if (!isStale() && !this.pendingInvalidations.has(key)) {
      // Filling the cache is not the caller's business: do not make it wait for Redis.
      void this.tryWrite(key, value === null ? ABSENT : value, value === null ? this.negativeTtlMs : this.ttlMs);
    }
    return value;
  }

  private async tryRead<T>(key: string): Promise<Stored<T> | undefined> {
    if (this.store.state === 'down') return undefined;
    try {
      return (await withTimeout(this.cache.get<Stored<T>>(key), this.timeoutMs)) ?? undefined;
    } catch (error) {
      this.logger.debug(`cache read of ${key} failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  private async tryWrite(key: string, value: unknown, ttlMs: number): Promise<void> {
    if (this.store.state === 'down') return;
    try {
      await withTimeout(this.cache.set(key, value, ttlMs), this.timeoutMs);
    } catch (error) {
      this.logger.debug(`cache write of ${key} failed: ${(error as Error).message}`);
    }
  }

  /** Resolves true only when the store certainly applied the delete. */
  private async tryDelete(key: string): Promise<boolean> {
    if (this.store.state === 'down') return false;
    const errorsBefore = this.store.errorCount;
    try {
      await withTimeout(this.cache.del(key), this.timeoutMs);
    } catch {
      return false;
    }
    // Keyv reports store failures as events, not rejections.
    return this.store.errorCount === errorsBefore && this.store.state === 'up';
  }

  private async retryPendingInvalidations(): Promise<void> {
    for (const key of [...this.pendingInvalidations]) {
      if (await this.tryDelete(key)) this.pendingInvalidations.delete(key);
    }
    if (this.pendingInvalidations.size > 0) {
      this.logger.warn(`${this.pendingInvalidations.size} cache invalidations still pending`);
    }
  }
}
