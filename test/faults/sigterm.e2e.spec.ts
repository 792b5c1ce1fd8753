import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type AppProcess, spawnApp } from '../support/process.js';
import { REDIS_URL, TEST_API_KEY, type TestDatabase, createTestDatabase, sleep, uniqueId } from '../support/services.js';
import { countBy, createLink, ensureStopped, redirectLoad } from './support.js';

/**
 * Issue 4, fault 4: SIGTERM while the service is busy (moved here from process.e2e.spec.ts and
 * extended). The shutdown must stop taking new work, finish what it has (including a request
 * whose body is still arriving), flush every buffered click, and exit 0 within its timeout:
 * the clicks in Postgres then equal the 302s clients received (none lost, none counted twice).
 */
const SHUTDOWN_TIMEOUT_MS = 8000;

/** A POST whose body is sent in two parts, so it is in flight for as long as the test wants. */
function slowPost(port: number, path: string, payload: object) {
  const body = JSON.stringify(payload);
  const req = request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': TEST_API_KEY },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  const split = Math.floor(body.length / 2);
  req.write(body.slice(0, split));
  return { response, finish: () => req.end(body.slice(split)) };
}

describe('SIGTERM during load (real process)', () => {
  let db: TestDatabase;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await ensureStopped(app);
    await db?.drop();
  });

  it('finishes in-flight requests, flushes every click, exits 0; clicks in Postgres == 302s served', async () => {
    app = await spawnApp({
      DATABASE_URL: db.url,
      REDIS_URL,
      CACHE_KEY_PREFIX: `test:${uniqueId()}`,
      // Long enough that no periodic flush happens: the counts must come from the shutdown flush.
      CLICK_FLUSH_INTERVAL_MS: '60000',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      RATE_LIMIT_ENABLED: 'false',
    });
    const codes = ['drain-a', 'drain-b', 'drain-c'];
    for (const code of codes) await createLink(app, `https://${code}.example/`, code);

    const load = redirectLoad(app.baseUrl, codes, { workers: 8, maxPerWorker: 2000, maxMs: 20_000, pauseMs: 1, stopOnError: true });
    await sleep(500);

    // A creation whose body is half sent when the signal arrives.
    const port = Number(new URL(app.baseUrl).port);
    const inflight = slowPost(port, '/api/links', { url: 'https://inflight.example/', alias: 'inflight' });
    await sleep(200);

    const signalled = performance.now();
    app.child.kill('SIGTERM');
    await sleep(300);
    inflight.finish();
    const [code, created] = await Promise.all([app.exited, inflight.response]);
    const exitMs = performance.now() - signalled;
    const hits = await load.stop();

    expect(code, app.output()).toBe(0);
    expect(exitMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

    // The request that was in flight completed, and its link is stored.
    expect(created.status, created.body).toBe(201);
    expect(await db.query(`SELECT url FROM links WHERE code = 'inflight'`)).toEqual([{ url: 'https://inflight.example/' }]);

    // Requests were answered 302, or refused once the server had stopped taking work (503 or
    // connection refused), never failed otherwise.
    const served = hits.filter((h) => h.status === 302);
    expect(served.length).toBeGreaterThan(50);
    expect(hits.filter((h) => ![302, 503, 0].includes(h.status))).toEqual([]);

    const byCode = countBy(served, (h) => h.code);
    const rows = await db.query<{ code: string; click_count: string }>('SELECT code, click_count FROM links');
    for (const row of rows) expect(Number(row.click_count), row.code).toBe(byCode[row.code] ?? 0);
    expect(app.output()).not.toMatch(/could not be written/);
  });
});
