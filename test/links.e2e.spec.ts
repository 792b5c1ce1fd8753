import { createClient } from '@keyv/redis';
import { LinksRepository } from '../apps/api/src/links/links.repository.js';
import { type TestApp, startTestApp } from './support/app.js';
import { REDIS_URL, type TestDatabase, createTestDatabase, waitFor } from './support/services.js';

/** The REST API and the redirect path against real Postgres and real Redis. */
describe('links API (Postgres + Redis)', () => {
  let db: TestDatabase;
  let t: TestApp;
  const redis = createClient({ url: REDIS_URL });

  const create = async (body: object) => {
    const res = await t.request({ method: 'POST', url: '/api/links', payload: body });
    return { status: res.statusCode, body: res.json() };
  };
  const cachedValue = async (code: string) => redis.get(`${t.config.cache.keyPrefix}:link:${code}`);

  beforeAll(async () => {
    db = await createTestDatabase();
    await redis.connect();
    t = await startTestApp({ DATABASE_URL: db.url, BASE_URL: 'https://sho.rt', CLICK_FLUSH_INTERVAL_MS: '100' });
  });

  afterAll(async () => {
    await t?.close();
    await redis.close();
    await db?.drop();
  });

  it('creates a link with a generated 7-character code and stores it', async () => {
    const { status, body } = await create({ url: 'https://example.com/some/long/path?q=1' });
    expect(status).toBe(201);
    expect(body.code).toMatch(/^[0-9A-Za-z]{7}$/);
    expect(body).toMatchObject({ shortUrl: `https://sho.rt/${body.code}`, url: 'https://example.com/some/long/path?q=1', expiresAt: null });
    expect(Date.parse(body.createdAt)).not.toBeNaN();
    const rows = await db.query('SELECT url, click_count FROM links WHERE code = $1', [body.code]);
    expect(rows).toEqual([{ url: 'https://example.com/some/long/path?q=1', click_count: '0' }]);
  });

  it('redirects with 302, Location and a no-store-for-long Cache-Control, then serves from Redis', async () => {
    const { body } = await create({ url: 'https://nestjs.com/docs', alias: 'nest-docs' });
    expect(body.code).toBe('nest-docs');
    expect(await cachedValue('nest-docs')).toBeNull();

    const res = await t.request({ method: 'GET', url: '/nest-docs' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://nestjs.com/docs');
    expect(res.headers['cache-control']).toBe('private, max-age=0');
    // Cache-aside filled Redis (written in the background).
    await waitFor(() => cachedValue('nest-docs'), 2000, 'the cache fill');

    // Proof the next redirect comes from Redis: change the row behind the cache's back.
    await db.query(`UPDATE links SET url = 'https://elsewhere.example/' WHERE code = 'nest-docs'`);
    expect((await t.request({ method: 'GET', url: '/nest-docs' })).headers.location).toBe('https://nestjs.com/docs');
  });

  it('invalidates the cache on update and on delete', async () => {
    await create({ url: 'https://one.example/', alias: 'moving' });
    expect((await t.request('/moving')).headers.location).toBe('https://one.example/');
    await waitFor(() => cachedValue('moving'), 2000, 'the cache fill');

    const patched = await t.request({ method: 'PATCH', url: '/api/links/moving', payload: { url: 'https://two.example/x' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ code: 'moving', url: 'https://two.example/x' });
    expect(await cachedValue('moving')).toBeNull();
    expect((await t.request('/moving')).headers.location).toBe('https://two.example/x');

    expect((await t.request({ method: 'DELETE', url: '/api/links/moving' })).statusCode).toBe(204);
    const gone = await t.request('/moving');
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'LINK_NOT_FOUND' });
    expect((await t.request({ method: 'DELETE', url: '/api/links/moving' })).statusCode).toBe(404);
  });

  it('caches unknown codes as absent, and forgets that when the code is created', async () => {
    expect((await t.request('/later')).statusCode).toBe(404);
    await waitFor(() => cachedValue('later'), 2000, 'the negative cache entry');
    expect(JSON.parse((await cachedValue('later'))!)).toMatchObject({ value: { absent: true } });

    expect((await create({ url: 'https://later.example/', alias: 'later' })).status).toBe(201);
    const res = await t.request('/later');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://later.example/');
  });

  it('answers 410 for an expired link and 409 for a taken alias', async () => {
    const { body } = await create({ url: 'https://old.example/', alias: 'expiring', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    await db.query(`UPDATE links SET expires_at = now() - interval '1 minute' WHERE code = 'expiring'`);
    const gone = await t.request('/expiring');
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ statusCode: 410, code: 'LINK_EXPIRED' });

    const taken = await create({ url: 'https://other.example/', alias: 'expiring' });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'ALIAS_TAKEN', message: 'alias "expiring" is already taken' });
    expect((await db.query(`SELECT url FROM links WHERE code = 'expiring'`))[0].url).toBe('https://old.example/');
  });

  it('removes an expiry with expiresAt: null', async () => {
    await create({ url: 'https://e.example/', alias: 'unexpire', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const res = await t.request({ method: 'PATCH', url: '/api/links/unexpire', payload: { expiresAt: null } });
    expect(res.statusCode).toBe(200);
    expect(res.json().expiresAt).toBeNull();
  });

  it('counts every redirect exactly once in Postgres, and reports it in stats', async () => {
    await create({ url: 'https://count.example/', alias: 'counted' });
    const responses = await Promise.all(Array.from({ length: 50 }, () => t.request('/counted')));
    expect(responses.every((r) => r.statusCode === 302)).toBe(true);
    await t.request({ method: 'HEAD', url: '/counted' }); // not a visit

    const stats = await t.request('/api/links/counted/stats');
    expect(stats.json()).toEqual({ code: 'counted', clicks: 50 });
    await waitFor(
      async () => (await db.query(`SELECT click_count FROM links WHERE code = 'counted'`))[0].click_count === '50',
      3000,
      'clicks to reach Postgres',
    );
  });

  it('lists links newest first, page by page', async () => {
    for (const n of [1, 2, 3]) await create({ url: `https://page.example/${n}`, alias: `page-${n}` });
    const first = await t.request('/api/links?limit=2');
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.items.map((l: { code: string }) => l.code)).toEqual(['page-3', 'page-2']);
    expect(page1.nextCursor).toEqual(expect.any(String));

    const page2 = (await t.request(`/api/links?limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2.items[0].code).toBe('page-1');
    const total = Number((await db.query('SELECT count(*) FROM links'))[0].count);
    let seen = 0;
    let cursor: string | null = null;
    do {
      const page: { items: unknown[]; nextCursor: string | null } = (await t.request(`/api/links?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toBe(total);
  });

  it('gets one link by code', async () => {
    await create({ url: 'https://get.example/', alias: 'fetch-me' });
    const res = await t.request('/api/links/fetch-me');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ code: 'fetch-me', url: 'https://get.example/', shortUrl: 'https://sho.rt/fetch-me', clicks: 0 });
  });

  it('coalesces concurrent cache misses for one code into one database query', async () => {
    await create({ url: 'https://burst.example/', alias: 'burst' });
    const lookups = vi.spyOn(t.app.get(LinksRepository), 'findTarget');
    const responses = await Promise.all(Array.from({ length: 20 }, () => t.request('/burst')));
    expect(responses.every((r) => r.statusCode === 302 && r.headers.location === 'https://burst.example/')).toBe(true);
    expect(lookups).toHaveBeenCalledTimes(1);
    await waitFor(() => cachedValue('burst'), 2000, 'the cache fill');
    await Promise.all(Array.from({ length: 20 }, () => t.request('/burst')));
    expect(lookups).toHaveBeenCalledTimes(1);
    lookups.mockRestore();
  });

  it('sends a flood of one unknown code to Postgres once per negative TTL', async () => {
    const lookups = vi.spyOn(t.app.get(LinksRepository), 'findTarget');
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(Array.from({ length: 20 }, () => t.request('/no-such-code')));
      expect(responses.every((r) => r.statusCode === 404)).toBe(true);
      await waitFor(() => cachedValue('no-such-code'), 2000, 'the negative cache entry');
    }
    expect(lookups).toHaveBeenCalledTimes(1);
    lookups.mockRestore();
  });

  it('serves the OpenAPI document and the liveness probe', async () => {
    const docs = await t.request('/docs-json');
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths)).toEqual(expect.arrayContaining(['/api/links', '/api/links/{code}', '/{code}', '/health/ready']));
    const live = await t.request('/health/live');
    expect(live.statusCode).toBe(200);
    expect(live.json().status).toBe('ok');
  });

  it('reports Postgres, pool and Redis in readiness', async () => {
    const res = await t.request('/health/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, pool: { status: 'up', size: 4 }, cache: { status: 'up', store: 'redis' } },
    });
  });
});
