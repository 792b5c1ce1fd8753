import { randomBytes } from 'node:crypto';
import type { RedisClientType } from '@keyv/redis';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@linkpool/config';
import { CacheStore } from './cache-store.js';
import { withTimeout } from './with-timeout.js';

/** Published as the key: every instance drops its whole local cache. */
export const ALL_KEYS = '*';
const HEARTBEAT = '~heartbeat';
/** How often each instance checks its channel by sending itself a message through Redis. */
export const HEARTBEAT_INTERVAL_MS = 1000;
/** A channel whose own heartbeat has not come back for this long is treated as broken. */
export const HEARTBEAT_TIMEOUT_MS = 2500;

export type ChannelListener = (key: string) => void;
export type ChannelStateListener = (healthy: boolean) => void;

/**
 * Tells every instance of the service that a cache key changed, through Redis pub/sub on
 * `<CACHE_KEY_PREFIX>:invalidations`, so that their in-process caches drop it.
 *
 * A message is `<origin>\n<key>` (an instance skips its own) or a bare `<key>`, which an
 * operator may publish by hand (`PUBLISH linkpool:invalidations '*'` drops every local cache).
 *
 * Pub/sub delivers at most once, so the channel watches itself: it is *healthy* only while its
 * subscription is connected and its own heartbeat, published every second through the main
 * connection, comes back within {@link HEARTBEAT_TIMEOUT_MS}. Listeners hear every change of
 * health; while the channel is not healthy, messages may be lost and local caches must not be trusted.
 * With the in-process store (one instance, no Redis) there is nobody to tell and the channel is always healthy.
 */
export class InvalidationChannel implements OnApplicationShutdown {
  private readonly logger = new Logger('Cache');
  readonly name: string;
  readonly origin = randomBytes(6).toString('hex');
  private readonly messageListeners: ChannelListener[] = [];
  private readonly stateListeners: ChannelStateListener[] = [];
  private subscriber?: RedisClientType;
  private heartbeatTimer?: NodeJS.Timeout;
  private lastHeartbeatAt = 0;
  private subscribed = false;
  private _healthy: boolean;
  private closed = false;
  /** Messages received from other instances (tests and diagnostics). */
  received = 0;

  constructor(
    private readonly store: CacheStore,
    config: AppConfig['cache'],
  ) {
    this.name = `${config.keyPrefix}:invalidations`;
    this._healthy = store.kind === 'memory';
    if (store.kind === 'redis') this.start(config.timeoutMs);
  }

  /** True while invalidations from other instances are known to arrive. */
  get healthy(): boolean {
    return this._healthy;
  }

  /** Whether other instances may exist that need telling (false with the in-process store). */
  get shared(): boolean {
    return this.store.kind === 'redis';
  }

  /** `listener(key)` for every key another instance invalidated (or {@link ALL_KEYS}). */
  onMessage(listener: ChannelListener): void {
    this.messageListeners.push(listener);
  }

  onStateChange(listener: ChannelStateListener): void {
    this.stateListeners.push(listener);
  }

  /** Tells the other instances that `key` changed. Never throws; resolves false when Redis did not take it. */
  async publish(key: string, timeoutMs: number): Promise<boolean> {
    const client = this.store.redisClient;
    if (!client || this.store.state === 'down') return false;
    try {
      await withTimeout(client.publish(this.name, `${this.origin}\n${key}`), timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    const subscriber = this.subscriber;
    if (subscriber?.isOpen) await withTimeout(subscriber.close(), 1000).catch(() => subscriber.destroy());
  }

  private start(timeoutMs: number): void {
    const main = this.store.redisClient!;
    // Same address, credentials, timeouts, reconnection and offline-queue settings as the main connection.
    const subscriber = main.duplicate() as RedisClientType;
    this.subscriber = subscriber;
    subscriber.on('error', () => this.setSubscribed(false));
    subscriber.on('end', () => this.setSubscribed(false));
    // After a reconnection node-redis subscribes again before it reports ready.
    subscriber.on('ready', () => {
      if (!this.subscribed) this.setSubscribed(true);
    });
    subscriber
      .connect()
      .then(() => subscriber.subscribe(this.name, (message) => this.receive(message)))
      .then(() => this.setSubscribed(true))
      .catch(() => undefined);

    this.heartbeatTimer = setInterval(() => this.beat(timeoutMs), HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
  }

  private beat(timeoutMs: number): void {
    if (this._healthy && Date.now() - this.lastHeartbeatAt > HEARTBEAT_TIMEOUT_MS) {
      this.setHealthy(false, 'its heartbeat did not come back');
    }
    if (this.subscribed) void this.publish(HEARTBEAT, timeoutMs);
  }

  private receive(message: string): void {
    const newline = message.indexOf('\n');
    const origin = newline < 0 ? undefined : message.slice(0, newline);
    const key = newline < 0 ? message : message.slice(newline + 1);
    if (origin === this.origin) {
      if (key === HEARTBEAT) {
        this.lastHeartbeatAt = Date.now();
        if (!this._healthy && this.subscribed) this.setHealthy(true);
      }
      return;
    }
    if (key === HEARTBEAT) return;
    this.received++;
    for (const listener of this.messageListeners) listener(key);
  }

  private setSubscribed(subscribed: boolean): void {
    if (this.closed) return;
    this.subscribed = subscribed;
    if (!subscribed) {
      this.setHealthy(false, 'its connection is down');
      return;
    }
    // Healthy once a message has made the round trip through Redis.
    void this.publish(HEARTBEAT, 1000);
  }

  private setHealthy(healthy: boolean, why?: string): void {
    if (healthy === this._healthy || this.closed) return;
    this._healthy = healthy;
    if (healthy) {
      this.lastHeartbeatAt = Date.now();
      this.logger.log(`invalidation channel ${this.name} is up: local cache enabled`);
    } else {
      this.logger.warn(`invalidation channel ${this.name} is down (${why}): local cache entries now live at most 1 s`);
    }
    for (const listener of this.stateListeners) listener(healthy);
  }
}
