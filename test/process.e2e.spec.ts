import { spawnApp } from './support/process.js';
import { REDIS_URL, type TestDatabase, createTestDatabase, sleep, uniqueId } from './support/services.js';

/** The built service as an operator runs it: real sockets, real signals. */
describe('the service process', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('refuses to boot on bad configuration, naming each bad variable and its rule', async () => {
    const app = await spawnApp({ DATABASE_URL: db.url, DB_POOL_SIZE: 'many', REDIS_URL: 'localhost:6379' }, { waitReady: false });
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain('Invalid configuration:');
    expect(app.output()).toMatch(/DB_POOL_SIZE must be an integer number \(got "many"\)/);
    expect(app.output()).toMatch(/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('on SIGTERM finishes in-flight requests, flushes every click, and exits 0', async () => {
    const app = await spawnApp({
      DATABASE_URL: db.url,
      REDIS_URL,
      CACHE_KEY_PREFIX: `test:${uniqueId()}`,
      // Long enough that no periodic flush happens: the count must come from the shutdown flush.
      CLICK_FLUSH_INTERVAL_MS: '60000',
    });
    const created = await fetch(`${app.baseUrl}/api/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://drain.example/', alias: 'drain' }),
    });
    expect(created.status).toBe(201);

    let redirects = 0;
    let stop = false;
    const worker = async () => {
      // Bounded: at most 2,000 requests per worker, and only until the server has gone.
      for (let i = 0; i < 2000 && !stop; i++) {
        try {
          const res = await fetch(`${app.baseUrl}/drain`, { redirect: 'manual' });
          if (res.status === 302) redirects++;
          await res.arrayBuffer();
        } catch {
          stop = true; // connection refused: the server has closed
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    await sleep(500);
    const signalled = Date.now();
    app.child.kill('SIGTERM');
    const code = await app.exited;
    stop = true;
    await load;

    expect(code, app.output()).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(redirects).toBeGreaterThan(0);
    const [row] = await db.query<{ click_count: string }>(`SELECT click_count FROM links WHERE code = 'drain'`);
    expect(Number(row.click_count)).toBe(redirects);
    expect(app.output()).not.toMatch(/could not be written/);
  });
});
