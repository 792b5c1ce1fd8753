import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestApp, startTestApp } from './support/app.js';

/** The zero-install default: no database and no Redis configured. */
describe('embedded mode (PGlite + in-process cache)', () => {
  let dataDir: string;
  let t: TestApp | undefined;
  const noServers = () => ({ DATABASE_URL: undefined, DB_HOST: undefined, REDIS_URL: undefined, REDIS_HOST: undefined });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'linkpool-embedded-'));
  });

  afterAll(async () => {
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves create → redirect → stats on embedded Postgres with a warm pool', async () => {
    // A socket file left behind by a killed process must not stop the start.
    await writeFile(join(dataDir, '.s.PGSQL.5432'), '');
    t = await startTestApp({ ...noServers(), DATA_DIR: dataDir, DB_POOL_SIZE: '10', CLICK_FLUSH_INTERVAL_MS: '100' });
    expect(t.config.database.kind).toBe('embedded');
    expect(t.config.cache.kind).toBe('memory');

    const created = await t.request({ method: 'POST', url: '/api/links', payload: { url: 'https://embedded.example/', alias: 'local' } });
    expect(created.statusCode).toBe(201);
    const redirect = await t.request('/local');
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('https://embedded.example/');
    expect((await t.request('/api/links/local/stats')).json()).toEqual({ code: 'local', clicks: 1 });

    const ready = (await t.request('/health/ready')).json();
    expect(ready.details).toMatchObject({ database: { status: 'up' }, pool: { total: 10 }, cache: { status: 'up', store: 'memory' } });
  });

  it('keeps its data across restarts in DATA_DIR', async () => {
    await t!.close();
    t = await startTestApp({ ...noServers(), DATA_DIR: dataDir });
    // The click counted before the restart was flushed at shutdown.
    expect((await t.request('/api/links/local/stats')).json()).toEqual({ code: 'local', clicks: 1 });
    const res = await t.request('/local');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://embedded.example/');
  });
});
