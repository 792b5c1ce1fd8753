import { type AppProcess, spawnApp } from '../support/process.js';
import { TestRedis, type TestDatabase, createTestDatabase, sleep, uniqueId, waitFor } from '../support/services.js';
import { api, countBy, createLink, ensureStopped, hit, readiness, redirectLoad, redisCommand, redisGet } from './support.js';

/**
 * Issue 4, fault 2: Redis loses its memory (FLUSHALL, then a restart with nothing in it) while
 * the service runs and links change. Postgres is the source of truth and clicks never live in
 * Redis, so nothing may be lost: every redirect goes where Postgres says, every click counts.
 * Runs with the service's default cache settings (in-process cache in front of Redis included).
 */
describe('Redis restarted with empty memory (real process, its own Redis)', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let app: AppProcess | undefined;
  const prefix = `test:${uniqueId()}`;
  const cacheKey = (code: string) => `${prefix}:link:${code}`;

  beforeAll(async () => {
    [db, redis] = await Promise.all([createTestDatabase(), TestRedis.start()]);
    app = await spawnApp({
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      CACHE_KEY_PREFIX: prefix,
      CLICK_FLUSH_INTERVAL_MS: '200',
      DB_POOL_SIZE: '4',
      RATE_LIMIT_ENABLED: 'false',
    });
    await waitFor(async () => (await readiness(app!)).body.details?.cache?.status === 'up', 5000, 'the cache to be up');
  });

  afterAll(async () => {
    await ensureStopped(app);
    await redis?.kill();
    await db?.drop();
  });

  it('loses no link, no change and no click when Redis forgets everything', async () => {
    const targets: Record<string, string> = {
      alpha: 'https://alpha.example/',
      beta: 'https://beta.example/v1',
      gamma: 'https://gamma.example/',
    };
    for (const [alias, url] of Object.entries(targets)) await createLink(app!, url, alias);
    const generated = await createLink(app!, 'https://generated.example/x?y=1');
    targets[generated] = 'https://generated.example/x?y=1';
    const served: Record<string, number> = {};
    const redirect = async (code: string) => {
      const h = await hit(app!.baseUrl, code);
      if (h.status === 302) served[code] = (served[code] ?? 0) + 1;
      return h;
    };

    // Warm both cache levels, and cache "absent" for a code that does not exist yet.
    for (const code of Object.keys(targets)) expect((await redirect(code)).location).toBe(targets[code]);
    expect((await redirect('ghost-1')).status).toBe(404);
    await waitFor(() => redisGet(redis.url, cacheKey('alpha')), 3000, 'the cache fill');
    await waitFor(() => redisGet(redis.url, cacheKey('ghost-1')), 3000, 'the negative cache fill');

    // 1. FLUSHALL: Redis forgets, the connection stays.
    await redisCommand(redis.url, ['FLUSHALL']);
    for (const code of Object.keys(targets)) expect((await redirect(code)).location).toBe(targets[code]);
    await createLink(app!, 'https://ghost.example/', 'ghost-1');
    targets['ghost-1'] = 'https://ghost.example/';
    expect((await redirect('ghost-1')).location).toBe('https://ghost.example/');

    // 2. Redis dies while links change, and comes back empty; redirects go on all along.
    const steady = ['alpha', 'ghost-1', generated];
    const load = redirectLoad(app!.baseUrl, steady, { workers: 3, maxPerWorker: 2000, maxMs: 20_000, pauseMs: 5 });
    try {
      await sleep(200);
      await redis.kill();
      const patched = await api(app!, 'PATCH', '/api/links/beta', { url: 'https://beta.example/v2' });
      expect(patched.status).toBe(200);
      expect((await api(app!, 'DELETE', '/api/links/gamma')).status).toBe(204);
      const delta = await api(app!, 'POST', '/api/links', { url: 'https://delta.example/', alias: 'delta' });
      expect(delta.status).toBe(201);
      expect((await redirect('beta')).location).toBe('https://beta.example/v2');
      await sleep(500);

      await redis.start();
      await waitFor(async () => (await readiness(app!)).body.details?.cache?.status === 'up', 10_000, 'the cache to report up again');
      await sleep(500);
      const hits = await load.stop();

      const wrong = hits.filter((h) => h.status !== 302 || h.location !== targets[h.code]);
      expect(wrong.slice(0, 5), `${wrong.length} of ${hits.length} redirects were wrong`).toEqual([]);
      for (const [code, n] of Object.entries(countBy(hits, (h) => h.code))) served[code] = (served[code] ?? 0) + n;
    } finally {
      await load.stop();
    }

    // After the restart: the changes made while Redis was away hold, nothing stale comes back.
    expect((await redirect('beta')).location).toBe('https://beta.example/v2');
    expect((await redirect('gamma')).status).toBe(404);
    expect((await redirect('delta')).location).toBe('https://delta.example/');
    for (const code of steady) expect((await redirect(code)).location).toBe(targets[code]);
    // ...and the empty Redis is filled again.
    await waitFor(() => redisGet(redis.url, cacheKey('delta')), 3000, 'the cache to fill again');

    // Postgres holds every link as last changed; gamma is gone.
    const rows = await db.query<{ code: string; url: string; click_count: string }>('SELECT code, url, click_count FROM links ORDER BY code');
    expect(Object.fromEntries(rows.map((r) => [r.code, r.url]))).toEqual({
      alpha: 'https://alpha.example/',
      beta: 'https://beta.example/v2',
      [generated]: 'https://generated.example/x?y=1',
      'ghost-1': 'https://ghost.example/',
      delta: 'https://delta.example/',
    });

    // Click totals: Postgres once the buffer has drained, and the API agrees with it.
    // (While a flush is in flight the API's total can be short by that batch: see click-flush-ambiguity.)
    await waitFor(
      async () => (await db.query<{ code: string; click_count: string }>('SELECT code, click_count FROM links')).every(
        (r) => Number(r.click_count) === (served[r.code] ?? 0),
      ),
      5000,
      'the click counts in Postgres to match the 302s served',
    );
    for (const code of ['alpha', 'beta', generated, 'ghost-1', 'delta']) {
      const stats = await api(app!, 'GET', `/api/links/${code}/stats`);
      expect(stats.status).toBe(200);
      expect(stats.body.clicks, code).toBe(served[code]);
    }
  });
});
