import { type AppProcess, spawnApp } from '../support/process.js';
import { TestRedis, type TestDatabase, createTestDatabase, sleep, uniqueId, waitFor } from '../support/services.js';
import { countBy, createLink, ensureStopped, readiness, redirectLoad, redisGet } from './support.js';

/**
 * Issue 4, fault 1: Redis dies while redirects are being served. The built service runs as a
 * real process on its own Redis (a private redis-server on a free port), under a bounded load.
 *
 * Timeline: warm cache → Redis stalls (SIGSTOP: socket open, no answers, the case a
 * missing timeout would hang on) → Redis is killed (SIGKILL: data gone, connection refused)
 * → Redis restarts empty → the app reconnects by itself and fills the cache again.
 */
const CACHE_TIMEOUT_MS = 50;
/**
 * No redirect may wait longer than this. A redirect that falls back to Postgres costs one
 * cache timeout plus a primary-key read (a few ms); 25 cache timeouts leave room for a loaded
 * 2-core machine. A client that waited for the stalled Redis would wait for the whole stall,
 * which lasts twice this bound, so the bound tells "bounded by the cache timeout" from "hung".
 */
const LATENCY_BOUND_MS = 25 * CACHE_TIMEOUT_MS;
const STALL_MS = 2 * LATENCY_BOUND_MS;
const DOWN_MS = 1500;

describe('Redis dies under load (real process, its own Redis)', () => {
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
      CACHE_TIMEOUT_MS: String(CACHE_TIMEOUT_MS),
      CLICK_FLUSH_INTERVAL_MS: '200',
      DB_POOL_SIZE: '6',
      RATE_LIMIT_ENABLED: 'false',
      // No in-process cache in front of Redis: every redirect asks Redis, so every one meets the fault.
      CACHE_LOCAL_TTL_MS: '0',
    });
  });

  afterAll(async () => {
    await ensureStopped(app);
    redis?.process?.kill('SIGCONT');
    await redis?.kill();
    await db?.drop();
  });

  it('serves every redirect (302 from Postgres, within the cache timeout bound), reports degraded, then reconnects and refills', async () => {
    const targets: Record<string, string> = {};
    for (let i = 0; i < 4; i++) {
      const code = await createLink(app!, `https://r${i}.example/path?i=${i}`, `redis-load-${i}`);
      targets[code] = `https://r${i}.example/path?i=${i}`;
    }
    const codes = Object.keys(targets);
    // Warm: every link cached in Redis before the trouble starts.
    await waitFor(async () => (await readiness(app!)).body.details?.cache?.status === 'up', 5000, 'the cache to be up');
    for (const code of codes) await fetch(`${app!.baseUrl}/${code}`, { redirect: 'manual' });
    await waitFor(async () => (await Promise.all(codes.map((c) => redisGet(redis.url, cacheKey(c))))).every(Boolean), 3000, 'the cache fill');

    const load = redirectLoad(app!.baseUrl, codes, { workers: 6, maxPerWorker: 3000, maxMs: 30_000, pauseMs: 2 });
    try {
      await sleep(300);

      // 1. Stalled: Redis keeps its socket open and answers nothing.
      redis.process!.kill('SIGSTOP');
      await sleep(STALL_MS);
      const duringStall = await readiness(app!);

      // 2. Killed: the stalled server dies with its data (SIGKILL works on a stopped process).
      await redis.kill();
      await sleep(DOWN_MS / 2);
      const whileDown = await readiness(app!);
      await sleep(DOWN_MS / 2);

      // 3. Back, empty, on the same port: the app must notice by itself.
      await redis.start();
      await waitFor(async () => (await readiness(app!)).body.details?.cache?.status === 'up', 10_000, 'the cache to report up again');
      // The cache fills again from the running load (Redis came back empty).
      await waitFor(
        async () => (await Promise.all(codes.map((c) => redisGet(redis.url, cacheKey(c))))).every(Boolean),
        5000,
        'every link to be cached again',
      );
      await sleep(300);

      const hits = await load.stop();
      const failed = hits.filter((h) => h.status !== 302);
      expect(failed.slice(0, 5), `${failed.length} of ${hits.length} redirects did not get a 302`).toEqual([]);
      for (const h of hits) expect(h.location).toBe(targets[h.code]);
      const slowest = Math.max(...hits.map((h) => h.ms));
      expect(slowest, `slowest redirect ${slowest.toFixed(0)} ms`).toBeLessThan(LATENCY_BOUND_MS);
      expect(hits.length).toBeGreaterThan(200);

      // Readiness: Redis trouble is reported, but only as degraded (200), never as not ready.
      for (const state of [duringStall, whileDown]) {
        expect(state.status).toBe(200);
        expect(state.body.details.cache).toMatchObject({ status: 'degraded', store: 'redis' });
        expect(state.body.details.database.status).toBe('up');
      }
      const after = await readiness(app!);
      expect(after.status).toBe(200);
      expect(after.body.details.cache.status).toBe('up');

      // Every click of every 302 reaches Postgres; none counted twice.
      const served = countBy(hits, (h) => h.code);
      const warmed = Object.fromEntries(codes.map((c) => [c, (served[c] ?? 0) + 1]));
      await waitFor(
        async () => {
          const rows = await db.query<{ code: string; click_count: string }>('SELECT code, click_count FROM links');
          return rows.every((r) => Number(r.click_count) === warmed[r.code]);
        },
        5000,
        'the click counts to match the 302s served',
      );
    } finally {
      await load.stop();
    }
  });
});
