import type { CacheStore } from '@linkpool/cache';
import type { AppConfig } from '@linkpool/config';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

const config = { cache: { keyPrefix: 'lp', timeoutMs: 50 } } as unknown as AppConfig;

function fakeStore(state: 'up' | 'down', evalImpl?: (script: string, options: { keys: string[]; arguments: string[] }) => Promise<unknown>) {
  const client = evalImpl ? { eval: vi.fn(evalImpl) } : undefined;
  return { store: { state, redisClient: client } as unknown as CacheStore, client };
}

describe('RedisThrottlerStorage', () => {
  it('counts in Redis under the cache key prefix, and reports the window in seconds', async () => {
    const { store, client } = fakeStore('up', async () => [3, 41_200]);
    const storage = new RedisThrottlerStorage(store, config);
    const record = await storage.increment('create:key:1', 60_000, 5, 60_000, 'create');
    expect(client!.eval).toHaveBeenCalledWith(expect.stringContaining('INCR'), { keys: ['lp:ratelimit:create:key:1'], arguments: ['60000'] });
    expect(record).toEqual({ totalHits: 3, timeToExpire: 42, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('blocks past the limit until the window ends', async () => {
    const { store } = fakeStore('up', async () => [6, 9_001]);
    const record = await new RedisThrottlerStorage(store, config).increment('k', 60_000, 5, 60_000, 'create');
    expect(record).toEqual({ totalHits: 6, timeToExpire: 10, isBlocked: true, timeToBlockExpire: 10 });
  });

  it('counts in process with no Redis configured, and for the redirect limit always', async () => {
    const { store: noRedis } = fakeStore('up');
    const storage = new RedisThrottlerStorage(noRedis, config);
    for (let i = 1; i <= 3; i++) expect((await storage.increment('k', 60_000, 2, 60_000, 'api')).totalHits).toBe(i);
    expect((await storage.increment('k', 60_000, 2, 60_000, 'api')).isBlocked).toBe(true);

    const { store, client } = fakeStore('up', async () => [1, 60_000]);
    await new RedisThrottlerStorage(store, config).increment('r', 60_000, 2, 60_000, 'redirect');
    expect(client!.eval).not.toHaveBeenCalled();
  });

  it('falls back to in-process counting while Redis is down, without asking it', async () => {
    const { store, client } = fakeStore('down', async () => [1, 1]);
    const record = await new RedisThrottlerStorage(store, config).increment('k', 60_000, 5, 60_000, 'api');
    expect(record).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(client!.eval).not.toHaveBeenCalled();
  });

  it('falls back when Redis fails, or does not answer within CACHE_TIMEOUT_MS', async () => {
    const failing = fakeStore('up', async () => {
      throw new Error('READONLY');
    });
    expect(await new RedisThrottlerStorage(failing.store, config).increment('k', 60_000, 5, 60_000, 'api')).toMatchObject({ totalHits: 1 });

    const stalled = fakeStore('up', () => new Promise(() => undefined));
    const started = Date.now();
    expect(await new RedisThrottlerStorage(stalled.store, config).increment('k', 60_000, 5, 60_000, 'api')).toMatchObject({ totalHits: 1 });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
