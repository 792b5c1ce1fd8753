import { performance } from 'node:perf_hooks';
import { type AppProcess, spawnApp } from '../support/process.js';
import { REDIS_URL, sleep, uniqueId, waitFor } from '../support/services.js';
import { type ApiResult, PrivatePostgres, api, countBy, createLink, ensureStopped, readiness, redirectLoad, redisGet } from './support.js';

/**
 * Issue 4, fault 3: Postgres goes away and comes back, for real. The test creates a Postgres
 * cluster of its own (initdb, own port), points the built service at it, and stops it
 * (`pg_ctl stop -m fast`, what an operator's restart does) and starts it again while redirects,
 * creations and updates keep coming.
 *
 * Expected: readiness 503 within a few seconds; cached redirects still 302; writes a prompt 503
 * (not a hang); recovery without a restart of the service; no acknowledged write lost (every 201
 * and every 200 is in Postgres afterwards) and every 302's click counted, none twice.
 */
const POOL_SIZE = 4;
/** Readiness must turn 503 within this (its database ping times out after 2 s). */
const READINESS_BOUND_MS = 5000;
/** A write while Postgres is down must be answered within this (connect timeout 1 s). */
const WRITE_BOUND_MS = 5000;

describe('Postgres goes away and comes back (real process, its own Postgres cluster)', () => {
  let pg: PrivatePostgres | undefined;
  let app: AppProcess | undefined;
  const prefix = `test:${uniqueId()}`;

  beforeAll(async () => {
    pg = await PrivatePostgres.create();
    await pg.query('CREATE DATABASE linkpool');
    app = await spawnApp({
      DATABASE_URL: pg.url('linkpool'),
      REDIS_URL,
      CACHE_KEY_PREFIX: prefix,
      DB_POOL_SIZE: String(POOL_SIZE),
      DB_CONNECT_TIMEOUT_MS: '1000',
      CLICK_FLUSH_INTERVAL_MS: '200',
      RATE_LIMIT_ENABLED: 'false',
    });
  });

  afterAll(async () => {
    await ensureStopped(app);
    await pg?.destroy();
  });

  it('turns unready, keeps serving cached redirects, refuses writes with 503, recovers and loses nothing', async () => {
    const targets: Record<string, string> = {};
    for (const code of ['pg-one', 'pg-two', 'pg-three']) {
      await createLink(app!, `https://${code}.example/`, code);
      targets[code] = `https://${code}.example/`;
    }
    await createLink(app!, 'https://patch.example/v0', 'patchme');
    await createLink(app!, 'https://cold.example/', 'cold'); // never redirected, so never cached
    const codes = Object.keys(targets);
    // A change is invalidated twice, the second time about 1 s later (CacheService's
    // REINVALIDATE_AFTER_MS): cache the links only after that, or the outage would find them uncached.
    await sleep(1500);
    for (const code of codes) await fetch(`${app!.baseUrl}/${code}`, { redirect: 'manual' });
    await waitFor(async () => (await Promise.all(codes.map((c) => redisGet(REDIS_URL, `${prefix}:link:${c}`)))).every(Boolean), 3000, 'the cache fill');

    // Background traffic: redirects, creations, updates (each loop bounded in count and time).
    let stopped = false;
    const deadline = performance.now() + 40_000;
    const running = () => !stopped && performance.now() < deadline;
    const load = redirectLoad(app!.baseUrl, codes, { workers: 3, maxPerWorker: 4000, maxMs: 40_000, pauseMs: 5 });
    const creations: Array<ApiResult & { url: string }> = [];
    const creator = (async () => {
      for (let i = 0; i < 1000 && running(); i++) {
        const url = `https://created-${i}.example/`;
        creations.push({ ...(await api(app!, 'POST', '/api/links', { url })), url });
        await sleep(30);
      }
    })();
    const patches: Array<ApiResult & { version: number }> = [];
    const patcher = (async () => {
      for (let v = 1; v <= 1000 && running(); v++) {
        patches.push({ ...(await api(app!, 'PATCH', '/api/links/patchme', { url: `https://patch.example/v${v}` })), version: v });
        await sleep(30);
      }
    })();

    try {
      await sleep(500);

      // --- Postgres goes away.
      const stoppedAt = performance.now();
      await pg!.stop('fast');
      await waitFor(async () => (await readiness(app!)).status === 503, READINESS_BOUND_MS, 'readiness to turn 503');
      const unreadyAfterMs = performance.now() - stoppedAt;
      const down = await readiness(app!);
      expect(down.body.details.database.status).toBe('down');

      // Uncached reads and writes: a prompt, explicit 503 with Retry-After.
      const outage = [
        await api(app!, 'GET', '/cold'),
        await api(app!, 'POST', '/api/links', { url: 'https://during-outage.example/' }),
        await api(app!, 'GET', '/api/links/pg-one/stats'),
      ];
      for (const res of outage) {
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expect(res.body).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(res.ms).toBeLessThan(WRITE_BOUND_MS);
      }
      await sleep(1000);

      // --- Postgres comes back; the service heals by itself.
      const restartedAt = performance.now();
      await pg!.start();
      await waitFor(async () => (await readiness(app!)).status === 200, 15_000, 'readiness to return to 200');
      const readyAgainMs = performance.now() - restartedAt;
      const createdAfter = await api(app!, 'POST', '/api/links', { url: 'https://after.example/', alias: 'after' });
      expect(createdAfter.status).toBe(201);
      // The pool is warm again (all its connections reopened in the background).
      await waitFor(async () => (await readiness(app!)).body.details?.pool?.total === POOL_SIZE, 15_000, 'the pool to be re-warmed');
      await sleep(300);
      stopped = true;
      const [hits] = await Promise.all([load.stop(), creator, patcher]);

      // Cached redirects were served all along.
      const failed = hits.filter((h) => h.status !== 302 || h.location !== targets[h.code]);
      expect(failed.slice(0, 5), `${failed.length} of ${hits.length} redirects failed`).toEqual([]);

      // Writes: 201/200 or a clear 503, never anything else, never a hang; the outage was seen.
      for (const res of [...creations, ...patches]) {
        expect([200, 201, 503], JSON.stringify(res.body)).toContain(res.status);
        if (res.status === 503) expect(res.body.code).toBe('DATABASE_UNAVAILABLE');
        expect(res.ms).toBeLessThan(WRITE_BOUND_MS);
      }
      expect(creations.some((r) => r.status === 503)).toBe(true);
      expect(creations.filter((r) => r.status === 201).length).toBeGreaterThan(1);

      // No acknowledged write lost: every 201 is in Postgres with its URL...
      const rows = await pg!.query<{ code: string; url: string; click_count: string }>('SELECT code, url, click_count FROM links', [], 'linkpool');
      const stored = new Map(rows.map((r) => [r.code, r]));
      for (const res of creations.filter((r) => r.status === 201)) expect(stored.get(res.body.code)?.url).toBe(res.url);
      expect(stored.get('after')?.url).toBe('https://after.example/');
      // ...and the last acknowledged update holds (a later one may have landed without its answer).
      const acked = Math.max(0, ...patches.filter((p) => p.status === 200).map((p) => p.version));
      const tried = Math.max(...patches.map((p) => p.version));
      const version = Number(/v(\d+)$/.exec(stored.get('patchme')!.url)![1]);
      expect(version).toBeGreaterThanOrEqual(acked);
      expect(version).toBeLessThanOrEqual(tried);

      // Every 302 is one click in Postgres (clicks of the outage were kept and written after it).
      const served = countBy(hits, (h) => h.code);
      const expected = Object.fromEntries(codes.map((c) => [c, (served[c] ?? 0) + 1]));
      await waitFor(
        async () => {
          const now = await pg!.query<{ code: string; click_count: string }>('SELECT code, click_count FROM links', [], 'linkpool');
          return now.every((r) => Number(r.click_count) === (expected[r.code] ?? 0));
        },
        10_000,
        'the click counts to match the 302s served',
      );

      expect(unreadyAfterMs).toBeLessThan(READINESS_BOUND_MS);
      expect(readyAgainMs).toBeLessThan(15_000);
    } finally {
      stopped = true;
      await Promise.all([load.stop(), creator, patcher]);
    }
  });
});
