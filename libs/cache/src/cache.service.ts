import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@linkpool/config';
import type { Cache } from 'cache-manager';
import { CacheStore } from './cache-store.js';
import { ALL_KEYS, InvalidationChannel } from './invalidation-channel.js';
import { LocalCache } from './local-cache.js';
import { withTimeout } from './with-timeout.js';

/** What the store holds for a key whose loader found nothing (negative caching). */
const ABSENT = { absent: true } as const;
type Stored<T> = T | typeof ABSENT;
const isAbsent = (value: unknown): value is typeof ABSENT =>
  typeof value === 'object' && value !== null && (value as { absent?: unknown }).absent === true;

/** Lifetime of a local entry while the invalidation channel is broken (other instances' changes may go unheard). */
export const DEGRADED_LOCAL_TTL_MS = 1000;
/**
 * Every invalidation is done a second time this long after the first: it removes a value that a
 * concurrent reader loaded from Postgres before the change and wrote back to Redis (or to a local
 * cache) just after the first delete. It bounds that race, which pub/sub alone cannot close.
 */
export const REINVALIDATE_AFTER_MS = 1000;
/** Fills this instance wrote to Redis within this window are deleted again when another instance invalidates the key. */
const RECENT_FILL_WINDOW_MS = 2000;
const RECENT_FILL_MAX = 100_000;

interface InFlight<T> {
  promise: Promise<T | null>;
  /** Set when the key is invalidated while loading: the loaded value may predate the change. */
  stale: boolean;
}

/**
 * Cache-aside in front of a loader (Postgres), on two levels: a bounded map in process memory
 * ({@link LocalCache}: `CACHE_LOCAL_TTL_MS`, `CACHE_LOCAL_MAX_ENTRIES`), then Redis through
 * `@nestjs/cache-manager` (reads batched into one MGET per event-loop turn).
 *
 * `get(key, loader)` answers from the local cache, else from Redis, else runs the loader once for
 * all concurrent callers and stores its answer on both levels, including "nothing there" for the
 * negative TTL. `peek(key)` is the synchronous local lookup the redirect path tries first.
 *
 * The cache is an accelerator, never a dependency: every Redis call is bounded by
 * `CACHE_TIMEOUT_MS`, and any Redis failure falls back to the loader.
 *
 * Local entries read near the end of their life are re-read from Redis in the background
 * (refresh ahead), so a key in steady use is always answered from memory.
 *
 * Invalidation reaches every instance: the key is deleted locally and in Redis, and published on
 * the {@link InvalidationChannel}, which the other instances hear and drop it from their local
 * caches. While that channel is broken local entries live at most {@link DEGRADED_LOCAL_TTL_MS}.
 */
@Injectable()
export class CacheService implements OnApplicationShutdown {
  private readonly logger = new Logger('Cache');
  private readonly inFlight = new Map<string, InFlight<unknown>>();
  /** Keys whose invalidation may not have reached Redis; deleted again once it is back. */
  private readonly pendingInvalidations = new Set<string>();
  private readonly local: LocalCache<unknown>;
  /** Keys this instance wrote to Redis from its loader recently, with the time (oldest first). */
  private readonly recentFills = new Map<string, number>();
  private readonly reinvalidations = new Map<string, NodeJS.Timeout>();
  /** Redis reads waiting for this event-loop turn's MGET (see tryRead), by key. */
  private pendingReads = new Map<string, Array<(value: unknown) => void>>();
  private readsScheduled = false;
  /** Background re-reads of local entries near the end of their life (see refreshLocal), by key. */
  private readonly refreshes = new Map<string, { stale: boolean }>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly localTtlMs: number;
  private readonly timeoutMs: number;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly store: CacheStore,
    private readonly channel: InvalidationChannel,
    config: AppConfig,
  ) {
    this.ttlMs = config.cache.ttlSeconds * 1000;
    this.negativeTtlMs = config.cache.negativeTtlSeconds * 1000;
    this.timeoutMs = config.cache.timeoutMs;
    this.localTtlMs = config.cache.localTtlMs;
    this.local = new LocalCache(config.cache.localTtlMs > 0 ? config.cache.localMaxEntries : 0, (key) => this.refreshLocal(key));
    store.onReady(() => {
      // Redis was away: what other instances changed meanwhile may not have been heard.
      this.dropAllLocal();
      void this.retryPendingInvalidations();
    });
    channel.onMessage((key) => this.onRemoteInvalidation(key));
    channel.onStateChange((healthy) => {
      // Going down: messages may be lost from now on. Coming back: some may have been lost.
      this.dropAllLocal();
      if (healthy) void this.retryPendingInvalidations();
    });
  }

  /** Invalidations Redis may have missed, to be retried when it is back. */
  get pendingInvalidationCount(): number {
    return this.pendingInvalidations.size;
  }

  /** Entries in the local (in-process) cache. */
  get localSize(): number {
    return this.local.size;
  }

  /**
   * The value for `key` if the local cache has it: the value, `null` for "known absent", or
   * `undefined` when the caller must ask {@link get}. Synchronous: the hot path's first step.
   */
  peek<T>(key: string): T | null | undefined {
    return this.local.get(key) as T | null | undefined;
  }

  /**
   * The value for `key`: from the local cache, Redis, or else from `loader` (then cached on both levels).
   * A `null` from the loader is cached too, for the negative TTL.
   */
  async get<T>(key: string, loader: () => Promise<T | null>): Promise<T | null> {
    const local = this.local.get(key) as T | null | undefined;
    if (local !== undefined) return local;

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

  /**
   * Drops `key` on every instance so the next `get` reloads it: here at once, in Redis, and in the
   * other instances' local caches through the invalidation channel; again {@link REINVALIDATE_AFTER_MS}
   * later. Never throws; a delete Redis missed is retried when it returns.
   */
  async invalidate(key: string): Promise<void> {
    this.dropLocal(key);
    // Sent together on one connection: Redis deletes before it publishes.
    const [deleted] = await Promise.all([this.tryDelete(key), this.channel.publish(key, this.timeoutMs)]);
    if (deleted) this.pendingInvalidations.delete(key);
    else this.pendingInvalidations.add(key);
    this.scheduleReinvalidation(key);
  }

  /** Drops every local cache (this instance's and, through the channel, the others'). Redis is left alone. */
  async invalidateAllLocal(): Promise<void> {
    this.dropAllLocal();
    await this.channel.publish(ALL_KEYS, this.timeoutMs);
  }

  onApplicationShutdown(): void {
    for (const timer of this.reinvalidations.values()) clearTimeout(timer);
    this.reinvalidations.clear();
  }

  private async readThrough<T>(key: string, loader: () => Promise<T | null>, isStale: () => boolean): Promise<T | null> {
    // A key whose delete Redis may have missed is read from the loader until the delete lands.
    const cached = this.pendingInvalidations.has(key) ? undefined : await this.tryRead<T>(key);
    if (cached !== undefined) {
      const value = isAbsent(cached) ? null : cached;
      if (!isStale()) this.fillLocal(key, value);
      return value;
    }

    const value = await loader();
    if (!isStale()) {
      this.fillLocal(key, value);
      if (!this.pendingInvalidations.has(key)) {
        // Filling Redis is not the caller's business: do not make it wait.
        void this.tryWrite(key, value === null ? ABSENT : value, value === null ? this.negativeTtlMs : this.ttlMs);
        this.rememberFill(key);
      }
    }
    return value;
  }

  private fillLocal(key: string, value: unknown): void {
    let ttl = this.channel.healthy ? this.localTtlMs : Math.min(this.localTtlMs, DEGRADED_LOCAL_TTL_MS);
    if (value === null) ttl = Math.min(ttl, this.negativeTtlMs);
    this.local.set(key, value, ttl);
  }

  private dropLocal(key: string): void {
    this.local.delete(key);
    const entry = this.inFlight.get(key);
    if (entry) entry.stale = true;
    const refresh = this.refreshes.get(key);
    if (refresh) refresh.stale = true;
  }

  private dropAllLocal(): void {
    this.local.clear();
    for (const entry of this.inFlight.values()) entry.stale = true;
    for (const refresh of this.refreshes.values()) refresh.stale = true;
  }

  /**
   * Refresh ahead: a local entry read near the end of its life is read again from Redis in the
   * background, so keys in steady use never make a request wait for Redis. The entry keeps
   * being served meanwhile, within its lifetime; what comes back starts a new one. When Redis no
   * longer has the key, the local entry goes too, and the next request loads it as usual.
   */
  private refreshLocal(key: string): void {
    if (this.refreshes.has(key) || this.inFlight.has(key) || this.store.state === 'down') return;
    const refresh = { stale: false };
    this.refreshes.set(key, refresh);
    void this.tryRead(key)
      .then((cached) => {
        if (refresh.stale) return;
        if (cached === undefined) this.local.delete(key);
        else this.fillLocal(key, isAbsent(cached) ? null : cached);
      })
      .finally(() => this.refreshes.delete(key));
  }

  private onRemoteInvalidation(key: string): void {
    if (key === ALL_KEYS) {
      this.dropAllLocal();
      return;
    }
    this.dropLocal(key);
    // Did this instance just write the old value back to Redis, after the other instance deleted it?
    const filledAt = this.recentFills.get(key);
    if (filledAt !== undefined && Date.now() - filledAt < RECENT_FILL_WINDOW_MS) {
      this.recentFills.delete(key);
      void this.tryDelete(key).then((deleted) => {
        if (!deleted) this.pendingInvalidations.add(key);
      });
    }
  }

  private rememberFill(key: string): void {
    const now = Date.now();
    this.recentFills.delete(key);
    this.recentFills.set(key, now);
    for (const [oldest, at] of this.recentFills) {
      if (now - at < RECENT_FILL_WINDOW_MS && this.recentFills.size <= RECENT_FILL_MAX) break;
      this.recentFills.delete(oldest);
    }
  }

  private scheduleReinvalidation(key: string): void {
    clearTimeout(this.reinvalidations.get(key));
    const timer = setTimeout(() => {
      this.reinvalidations.delete(key);
      this.dropLocal(key);
      void Promise.all([this.tryDelete(key), this.channel.publish(key, this.timeoutMs)]).then(([deleted]) => {
        if (!deleted) this.pendingInvalidations.add(key);
      });
    }, REINVALIDATE_AFTER_MS);
    timer.unref();
    this.reinvalidations.set(key, timer);
  }

  /**
   * Reads `key` from Redis; `undefined` for a miss or any failure. Reads asked for during one
   * event-loop turn go out together as one MGET (through cache-manager's `mget`), bounded by one
   * timeout: under load, one command for many keys costs Redis and this process far less than a
   * GET each.
   */
  private tryRead<T>(key: string): Promise<Stored<T> | undefined> {
    if (this.store.state === 'down') return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiting = this.pendingReads.get(key);
      if (waiting) waiting.push(resolve as (value: unknown) => void);
      else this.pendingReads.set(key, [resolve as (value: unknown) => void]);
      if (!this.readsScheduled) {
        this.readsScheduled = true;
        setImmediate(this.sendReads);
      }
    });
  }

  private readonly sendReads = (): void => {
    this.readsScheduled = false;
    const batch = this.pendingReads;
    this.pendingReads = new Map();
    const keys = [...batch.keys()];
    const answer = (values: unknown[] | undefined) => {
      for (let i = 0; i < keys.length; i++) {
        const value = values?.[i] ?? undefined;
        for (const resolve of batch.get(keys[i])!) resolve(value);
      }
    };
    if (this.store.state === 'down') {
      answer(undefined);
      return;
    }
    withTimeout(this.cache.mget<unknown>(keys), this.timeoutMs).then(answer, (error: Error) => {
      this.logger.debug(`cache read of ${keys.length} keys failed: ${error.message}`);
      answer(undefined);
    });
  };

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
      if (await this.tryDelete(key)) {
        this.pendingInvalidations.delete(key);
        void this.channel.publish(key, this.timeoutMs);
      }
    }
    if (this.pendingInvalidations.size > 0) {
      this.logger.warn(`${this.pendingInvalidations.size} cache invalidations still pending`);
    }
  }
}
