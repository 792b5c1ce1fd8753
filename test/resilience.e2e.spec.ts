import { type TestApp, startTestApp } from './support/app.js';
import { ADMIN_DATABASE_URL, TcpRelay, TestRedis, type TestDatabase, createTestDatabase, waitFor, withDatabase } from './support/services.js';

/**
 * Faults on purpose: the test's own Redis is killed, stalled and restarted; Postgres is cut
 * off through a TCP relay (the shared servers are never stopped).
 */
describe('when Redis or Postgres fails', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let relay: TcpRelay;
  let t: TestApp;

  const redirect = (code: string) => t.request(`/${code}`);
  const ready = async () => {
    const res = await t.request('/health/ready');
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await TestRedis.start();
    const pgUrl = new URL(ADMIN_DATABASE_URL);
    relay = await TcpRelay.start({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    const viaRelay = new URL(withDatabase(ADMIN_DATABASE_URL, db.name));
    viaRelay.port = String(relay.port);
    t = await startTestApp({
      DATABASE_URL: viaRelay.toString(),
      REDIS_URL: redis.url,
      DB_CONNECT_TIMEOUT_MS: '1000',
      CACHE_TIMEOUT_MS: '100',
      CLICK_FLUSH_INTERVAL_MS: '100',
    });
    await waitFor(async () => (await ready()).body.details?.cache?.status === 'up', 5000, 'Redis to be up');
    for (const code of ['sturdy', 'second']) {
      const res = await t.request({ method: 'POST', url: '/api/links', payload: { url: `https://${code}.example/`, alias: code } });
      expect(res.statusCode).toBe(201);
    }
  });

  afterAll(async () => {
    await t?.close();
    await relay?.cut();
    await redis?.kill();
    await db?.drop();
  });

  it('keeps redirecting from Postgres while Redis is down, and says so in readiness', async () => {
    expect((await redirect('sturdy')).statusCode).toBe(302);
    await redis.kill();

    for (let i = 0; i < 20; i++) {
      const res = await redirect(i % 2 ? 'sturdy' : 'second');
      expect(res.statusCode).toBe(302);
    }
    const state = await ready();
    expect(state.status).toBe(200);
    expect(state.body.details.cache).toMatchObject({ status: 'degraded', store: 'redis' });
    expect(state.body.details.database.status).toBe('up');

    // Writes go on too, and their invalidations are kept for when Redis returns.
    const patched = await t.request({ method: 'PATCH', url: '/api/links/second', payload: { url: 'https://second.example/v2' } });
    expect(patched.statusCode).toBe(200);
    expect((await redirect('second')).headers.location).toBe('https://second.example/v2');
  });

  it('reconnects by itself when Redis returns, and fills the cache again', async () => {
    await redis.start();
    await waitFor(async () => (await ready()).body.details.cache.status === 'up', 10_000, 'the cache to report up');
    expect((await redirect('sturdy')).statusCode).toBe(302);
    const client = (await import('@keyv/redis')).createClient({ url: redis.url });
    await client.connect();
    try {
      await waitFor(() => client.get(`${t.config.cache.keyPrefix}:link:sturdy`), 3000, 'the cache fill');
    } finally {
      await client.close();
    }
    expect((await redirect('second')).headers.location).toBe('https://second.example/v2');
  });

  it('does not hang when Redis stops answering (stalled, socket still open)', async () => {
    const stalled = redis as unknown as { process: { kill(signal: string): void } };
    stalled.process.kill('SIGSTOP');
    try {
      const started = Date.now();
      const res = await redirect('sturdy');
      expect(res.statusCode).toBe(302);
      // Bounded by CACHE_TIMEOUT_MS (100 ms) plus a database read; 3 s only tells "did not hang".
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      stalled.process.kill('SIGCONT');
    }
  });

  it('turns readiness to 503 when Postgres is unreachable, serves cached redirects, refuses writes with 503', async () => {
    await waitFor(async () => (await redirect('sturdy')).statusCode === 302, 3000, 'a cached redirect');
    await relay.cut();

    const state = await ready();
    expect(state.status).toBe(503);
    expect(state.body.details.database.status).toBe('down');

    // Cached in Redis: still served.
    const res = await redirect('sturdy');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://sturdy.example/');

    const write = await t.request({ method: 'POST', url: '/api/links', payload: { url: 'https://lost.example/' } });
    expect(write.statusCode).toBe(503);
    expect(write.json()).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(write.headers['retry-after']).toBe('5');
  });

  it('recovers without a restart when Postgres is reachable again, losing no acknowledged click', async () => {
    await relay.open();
    await waitFor(async () => (await ready()).status === 200, 10_000, 'readiness to return to 200');
    // The pool is warm again by itself: all its connections reopened, not one per request.
    await waitFor(async () => (await ready()).body.details.pool.total === t.config.database.poolSize, 10_000, 'the pool to be re-warmed');
    const created = await t.request({ method: 'POST', url: '/api/links', payload: { url: 'https://after.example/', alias: 'after' } });
    expect(created.statusCode).toBe(201);
    expect((await redirect('after')).statusCode).toBe(302);

    // Every 302 served since the start (also those while Postgres was away) reaches Postgres.
    const stats = (await t.request('/api/links/sturdy/stats')).json();
    await waitFor(
      async () => Number((await db.query(`SELECT click_count FROM links WHERE code = 'sturdy'`))[0].click_count) === stats.clicks,
      5000,
      'the buffered clicks to be flushed',
    );
    expect(stats.clicks).toBeGreaterThanOrEqual(14);
  });
});
