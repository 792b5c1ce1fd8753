import { createClient } from '@keyv/redis';
import { Test, type TestingModule } from '@nestjs/testing';
import { AppConfigModule } from '@linkpool/config';
import { REDIS_URL, TestRedis, sleep, uniqueId, waitFor } from '../../../test/support/services.js';
import { AppCacheModule } from './cache.module.js';
import { CacheStore } from './cache-store.js';
import { CacheService, DEGRADED_LOCAL_TTL_MS, REINVALIDATE_AFTER_MS } from './cache.service.js';
import { InvalidationChannel } from './invalidation-channel.js';

interface Instance {
  cache: CacheService;
  store: CacheStore;
  channel: InvalidationChannel;
  close(): Promise<void>;
}

/** One instance of the cache layer, wired by Nest as in the app, on Redis at `redisUrl` under `prefix`. */
async function startInstance(redisUrl: string, prefix: string, env: Record<string, string> = {}): Promise<Instance> {
  const { module: config } = await AppConfigModule.load({
    ignoreEnvFile: true,
    // Vitest exports Vite's BASE_URL=/ into process.env; the config would read it.
    env: { LOG_LEVEL: 'silent', BASE_URL: 'http://localhost:3000', REDIS_URL: redisUrl, CACHE_KEY_PREFIX: prefix, CACHE_TIMEOUT_MS: '100', ...env },
  });
  const moduleRef: TestingModule = await Test.createTestingModule({ imports: [config, AppCacheModule] }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  const instance = {
    cache: moduleRef.get(CacheService),
    store: moduleRef.get(CacheStore),
    channel: moduleRef.get(InvalidationChannel),
    close: () => moduleRef.close(),
  };
  await waitFor(() => instance.channel.healthy, 5000, 'the invalidation channel');
  return instance;
}

/** A loader that counts its calls and answers `value` (after `delayMs`). */
function loaderOf<T>(value: T, delayMs = 0) {
  const loader = vi.fn(async () => {
    if (delayMs) await sleep(delayMs);
    return value;
  });
  return loader;
}

describe('CacheService on a real Redis', () => {
  const redis = createClient({ url: REDIS_URL });
  const instances: Instance[] = [];
  let prefix: string;

  const start = async (env: Record<string, string> = {}, url = REDIS_URL) => {
    const instance = await startInstance(url, prefix, env);
    instances.push(instance);
    return instance;
  };
  const stored = async (key: string) => {
    const raw = await redis.get(`${prefix}:${key}`);
    return raw === null ? null : JSON.parse(raw);
  };

  beforeAll(async () => {
    await redis.connect();
  });

  beforeEach(() => {
    prefix = `test:${uniqueId()}`;
  });

  afterEach(async () => {
    for (const instance of instances.splice(0)) await instance.close();
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*` })) if (keys.length) await redis.unlink(keys);
  });

  afterAll(async () => {
    await redis.close();
  });

  describe('one instance', () => {
    it('fills Redis and the local cache on a miss, and answers later gets from memory', async () => {
      const { cache } = await start();
      const loader = loaderOf({ url: 'https://a.example/' });
      expect(await cache.get('link:a', loader)).toEqual({ url: 'https://a.example/' });
      expect(cache.peek('link:a')).toEqual({ url: 'https://a.example/' });
      await waitFor(() => stored('link:a'), 2000, 'the Redis fill');
      expect(await stored('link:a')).toMatchObject({ value: { url: 'https://a.example/' } });

      expect(await cache.get('link:a', loader)).toEqual({ url: 'https://a.example/' });
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it('reads what another instance stored in Redis without calling its own loader', async () => {
      const first = await start();
      await first.cache.get('link:shared', loaderOf('from-first'));
      await waitFor(() => stored('link:shared'), 2000, 'the Redis fill');

      const second = await start();
      const loader = loaderOf('from-second');
      expect(await second.cache.get('link:shared', loader)).toBe('from-first');
      expect(loader).not.toHaveBeenCalled();
      expect(second.cache.peek('link:shared')).toBe('from-first');
    });

    it('caches "absent" for the negative TTL, in Redis and locally', async () => {
      const { cache } = await start({ CACHE_NEGATIVE_TTL_SECONDS: '7' });
      const loader = loaderOf(null);
      expect(await cache.get('link:none', loader)).toBeNull();
      await waitFor(() => stored('link:none'), 2000, 'the negative entry');
      expect(await stored('link:none')).toMatchObject({ value: { absent: true } });
      const ttl = await redis.pTTL(`${prefix}:link:none`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(7000);

      expect(cache.peek('link:none')).toBeNull();
      for (let i = 0; i < 10; i++) expect(await cache.get('link:none', loader)).toBeNull();
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it('runs the loader once for concurrent misses of one key', async () => {
      const { cache } = await start();
      const loader = loaderOf('once', 50);
      const values = await Promise.all(Array.from({ length: 20 }, () => cache.get('link:burst', loader)));
      expect(values).toEqual(Array(20).fill('once'));
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it('invalidates locally and in Redis, so the next get loads again', async () => {
      const { cache } = await start();
      await cache.get('link:moving', loaderOf('v1'));
      await waitFor(() => stored('link:moving'), 2000, 'the Redis fill');

      await cache.invalidate('link:moving');
      expect(cache.peek('link:moving')).toBeUndefined();
      expect(await stored('link:moving')).toBeNull();
      expect(cache.pendingInvalidationCount).toBe(0);
      expect(await cache.get('link:moving', loaderOf('v2'))).toBe('v2');
    });

    it('does not cache a value loaded while the key was being invalidated', async () => {
      const { cache } = await start();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const loading = cache.get('link:racy', async () => {
        await gate;
        return 'read before the change';
      });
      await cache.invalidate('link:racy');
      release();
      expect(await loading).toBe('read before the change');
      await sleep(100);
      expect(cache.peek('link:racy')).toBeUndefined();
      expect(await stored('link:racy')).toBeNull();
    });

    it('re-reads a local entry from Redis in the background near the end of its life, serving it meanwhile', async () => {
      const { cache } = await start({ CACHE_LOCAL_TTL_MS: '2000' });
      const loader = loaderOf('v1');
      await cache.get('link:steady', loader);
      await waitFor(() => stored('link:steady'), 2000, 'the Redis fill');
      await redis.set(`${prefix}:link:steady`, JSON.stringify({ value: 'v2', expires: null }));

      await sleep(1700); // past 80% of the entry's life
      expect(cache.peek('link:steady')).toBe('v1'); // still served, and a refresh starts
      await waitFor(() => cache.peek('link:steady') === 'v2', 1000, 'the refreshed entry');
      await sleep(500); // past the end of the first entry's life: the refreshed one has its own
      expect(cache.peek('link:steady')).toBe('v2');
      expect(loader).toHaveBeenCalledTimes(1);

      // Gone from Redis: the next refresh drops the local entry, and the next get loads it.
      await redis.del(`${prefix}:link:steady`);
      await sleep(1150);
      cache.peek('link:steady');
      await waitFor(() => cache.peek('link:steady') === undefined, 2000, 'the local entry to go');
      expect(await cache.get('link:steady', loader)).toBe('v1');
      expect(loader).toHaveBeenCalledTimes(2);
    });

    it('works without the local level (CACHE_LOCAL_MAX_ENTRIES=0): every get reads Redis', async () => {
      const { cache } = await start({ CACHE_LOCAL_MAX_ENTRIES: '0' });
      const loader = loaderOf('v');
      await cache.get('link:nolocal', loader);
      await waitFor(() => stored('link:nolocal'), 2000, 'the Redis fill');
      expect(cache.peek('link:nolocal')).toBeUndefined();
      expect(cache.localSize).toBe(0);
      await redis.set(`${prefix}:link:nolocal`, JSON.stringify({ value: 'changed in Redis', expires: null }));
      expect(await cache.get('link:nolocal', loader)).toBe('changed in Redis');
      expect(loader).toHaveBeenCalledTimes(1);
    });
  });

  describe('two instances on one Redis', () => {
    it('drops a key from the other instance’s local cache when one invalidates it', async () => {
      const a = await start();
      const b = await start();
      await a.cache.get('link:x', loaderOf('old'));
      await waitFor(() => stored('link:x'), 2000, 'the Redis fill');
      expect(await b.cache.get('link:x', loaderOf('unused'))).toBe('old');
      expect(b.cache.peek('link:x')).toBe('old');

      const heard = b.channel.received;
      await a.cache.invalidate('link:x');
      await waitFor(() => b.channel.received > heard, 2000, 'the invalidation to reach the other instance');
      expect(b.cache.peek('link:x')).toBeUndefined();
      expect(await b.cache.get('link:x', loaderOf('new'))).toBe('new');
    });

    it('drops every local cache on "*" (what the benchmark and an operator may publish)', async () => {
      const a = await start();
      await a.cache.get('link:1', loaderOf('one'));
      await a.cache.get('link:2', loaderOf('two'));
      expect(a.cache.localSize).toBe(2);
      await redis.publish(`${prefix}:invalidations`, '*');
      await waitFor(() => a.cache.localSize === 0, 2000, 'the local cache to be dropped');
    });

    it('deletes again from Redis a value it just wrote there when another instance invalidates the key', async () => {
      // The cache-aside race: this instance read Postgres before the other changed the row, and
      // wrote the old value to Redis just after the other deleted it.
      const b = await start();
      await b.cache.get('link:race', loaderOf('old value'));
      await waitFor(() => stored('link:race'), 2000, 'the stale fill');

      await redis.publish(`${prefix}:invalidations`, 'another-instance\nlink:race');
      await waitFor(async () => (await stored('link:race')) === null, 2000, 'the stale fill to be deleted again');
      expect(b.cache.peek('link:race')).toBeUndefined();
    });

    it(`invalidates a second time ${REINVALIDATE_AFTER_MS} ms later, removing a stale value written after the first`, async () => {
      const a = await start();
      const b = await start();
      await a.cache.invalidate('link:late');
      // A third instance's stale write lands after the first delete, and b picks it up.
      await redis.set(`${prefix}:link:late`, JSON.stringify({ value: 'stale', expires: null }));
      expect(await b.cache.get('link:late', loaderOf('fresh'))).toBe('stale');

      await waitFor(async () => (await stored('link:late')) === null, REINVALIDATE_AFTER_MS + 3000, 'the second delete');
      await waitFor(() => b.cache.peek('link:late') === undefined, 3000, 'the second message');
      expect(await b.cache.get('link:late', loaderOf('fresh'))).toBe('fresh');
    });
  });

  describe('with its own Redis server, killed and stalled', () => {
    let server: TestRedis;

    beforeEach(async () => {
      server = await TestRedis.start();
    });

    afterEach(async () => {
      // SIGCONT first in case a test left it stopped, so the kill is delivered at once.
      server.process?.kill('SIGCONT');
      await server.kill();
    });

    it('answers from the loader while Redis is down, keeps local entries short, and retries invalidations when it returns', async () => {
      const { cache, channel, store } = await start({}, server.url);
      await cache.get('link:k', loaderOf('v1'));
      expect(cache.peek('link:k')).toBe('v1');

      await server.kill();
      await waitFor(() => !channel.healthy, 5000, 'the channel to report down');
      // Changes elsewhere can no longer be heard: what was cached locally is dropped...
      expect(cache.peek('link:k')).toBeUndefined();

      const loader = loaderOf('v2');
      expect(await cache.get('link:k', loader)).toBe('v2');
      expect(loader).toHaveBeenCalledTimes(1);
      // ...and what is cached now lives at most DEGRADED_LOCAL_TTL_MS.
      expect(cache.peek('link:k')).toBe('v2');
      await sleep(DEGRADED_LOCAL_TTL_MS + 100);
      expect(cache.peek('link:k')).toBeUndefined();

      await cache.invalidate('link:k');
      expect(cache.pendingInvalidationCount).toBe(1);

      await server.start();
      await waitFor(() => store.state === 'up' && channel.healthy, 10_000, 'Redis and the channel to be back');
      await waitFor(() => cache.pendingInvalidationCount === 0, 5000, 'the pending invalidation to be retried');
    });

    it('does not hang on a stalled Redis, and notices the stall through its heartbeat', async () => {
      const { cache, channel } = await start({}, server.url);
      expect(channel.healthy).toBe(true);
      server.process!.kill('SIGSTOP');
      try {
        // Bounded by CACHE_TIMEOUT_MS (100 ms), then the loader.
        expect(await cache.get('link:stalled', loaderOf('from the loader'))).toBe('from the loader');
        await waitFor(() => !channel.healthy, 8000, 'the heartbeat to notice the stall');
        expect(cache.peek('link:stalled')).toBeUndefined();
      } finally {
        server.process!.kill('SIGCONT');
      }
      await waitFor(() => channel.healthy, 8000, 'the channel to recover');
    });
  });
});
