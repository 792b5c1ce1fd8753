import { createKeyv as createMemoryKeyv } from '@cacheable/memory';
import { createClient, createKeyv as createRedisKeyv, type RedisClientType } from '@keyv/redis';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@linkpool/config';
import type { Keyv } from 'keyv';
import { withTimeout } from './with-timeout.js';

export type CacheStoreState = 'up' | 'down';

/**
 * The Keyv store behind `@nestjs/cache-manager`: Redis when configured, otherwise an LRU in
 * process memory. Owns the Redis connection and knows whether Redis is reachable; every
 * change of that state is logged once.
 */
export class CacheStore implements OnApplicationShutdown {
  private readonly logger = new Logger('Cache');
  private readonly readyListeners: Array<() => void> = [];
  private lastError?: string;
  private closing = false;
  private _state: CacheStoreState | 'connecting';
  /** Bumped on every error the store reports; lets callers tell whether an operation failed silently. */
  errorCount = 0;

  readonly kind: 'redis' | 'memory';
  readonly keyv: Keyv;
  private readonly client?: RedisClientType;
  private readonly disconnectKeyv: () => Promise<void>;

  constructor(private readonly config: AppConfig['cache']) {
    this.kind = config.kind;
    if (config.kind === 'memory') {
      this._state = 'up';
      this.keyv = createMemoryKeyv({ lruSize: config.memoryMaxEntries, checkInterval: 60_000 });
      this.disconnectKeyv = this.keepOpenUntilShutdown();
      this.logger.warn('No Redis configured: caching in process memory. For several instances set REDIS_URL or REDIS_HOST.');
      return;
    }
    this._state = 'connecting';
    const socket = {
      connectTimeout: 2000,
      // Keep trying for ever, backing off to once every 2 s: Redis coming back must heal the cache by itself.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    };
    this.client = createClient({
      ...(config.url ? { url: config.url, socket } : { socket: { ...socket, host: config.host, port: config.port } }),
      ...(config.password ? { password: config.password } : {}),
      // Without this, commands issued while Redis is down queue up and hang until it returns.
      disableOfflineQueue: true,
    }) as RedisClientType;
    this.client.on('ready', () => this.setState('up'));
    this.client.on('error', (error: Error) => {
      this.lastError = error.message;
      this.errorCount++;
      this.setState('down');
    });
    this.client.on('end', () => this.setState('down'));
    this.keyv = createRedisKeyv(this.client, { namespace: config.keyPrefix, keyPrefixSeparator: ':' });
    this.disconnectKeyv = this.keepOpenUntilShutdown();
    // Errors are already counted and logged through the client; Keyv re-emits them.
    this.keyv.on('error', () => this.errorCount++);
    // Connect in the background: the service starts and serves from Postgres while Redis is away.
    this.client.connect().catch(() => undefined);
  }

  /** The Redis connection (undefined with the in-process store). */
  get redisClient(): RedisClientType | undefined {
    return this.client;
  }

  get state(): CacheStoreState {
    return this._state === 'up' ? 'up' : 'down';
  }

  get description(): string {
    if (this.kind === 'memory') return 'in-process memory';
    const c = this.config as Extract<AppConfig['cache'], { kind: 'redis' }>;
    return c.url ? new URL(c.url).host : `${c.host}:${c.port}`;
  }

  /** Calls `listener` each time Redis becomes reachable again. */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Round trip to the store, bounded by `timeoutMs`; resolves with the latency in ms. */
  async ping(timeoutMs: number): Promise<number> {
    const started = performance.now();
    if (this.client) await withTimeout(this.client.ping(), timeoutMs);
    return Math.round((performance.now() - started) * 100) / 100;
  }

  /** Runs after the HTTP server has drained, so in-flight requests still had the cache (and its invalidations). */
  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (this.client) {
      // Do not wait for a Redis that is gone: destroy() drops the socket at once.
      if (this.client.isOpen) await withTimeout(this.client.close(), 1000).catch(() => this.client?.destroy());
      return;
    }
    await this.disconnectKeyv();
  }

  /**
   * @nestjs/cache-manager disconnects its stores in onModuleDestroy, which Nest runs before the
   * HTTP server drains; an update still in flight would then miss its cache invalidation.
   * Its disconnect is made a no-op, and the store is closed in onApplicationShutdown instead.
   */
  private keepOpenUntilShutdown(): () => Promise<void> {
    const disconnect = this.keyv.disconnect.bind(this.keyv);
    this.keyv.disconnect = async () => undefined;
    return disconnect;
  }

  private setState(next: CacheStoreState): void {
    // Reconnection attempts repeat the same error every backoff step: report transitions only.
    if (next === this._state || this.closing) return;
    this._state = next;
    if (next === 'up') {
      this.logger.log(`Redis ${this.description} is reachable: cache enabled`);
      for (const listener of this.readyListeners) listener();
    } else {
      this.logger.error(
        `Redis ${this.description} is unreachable (${this.lastError ?? 'connection closed'}): serving from Postgres until it returns`,
      );
    }
  }
}
