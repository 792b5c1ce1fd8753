import { type TestApp, startTestApp } from './support/app.js';
import { type TestDatabase, createTestDatabase } from './support/services.js';

describe('warm connection pool', () => {
  let db: TestDatabase;
  let t: TestApp | undefined;

  const appConnections = async () =>
    (
      await db.query<{ state: string; n: string }>(
        `SELECT state, count(*)::text AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'linkpool' GROUP BY state`,
      )
    ).reduce<Record<string, number>>((acc, row) => ({ ...acc, [row.state]: Number(row.n) }), {});

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    await t?.close();
    t = undefined;
    await db.drop();
  });

  it('opens exactly DB_POOL_SIZE (default 10) idle connections before it is ready, visible in pg_stat_activity', async () => {
    t = await startTestApp({ DATABASE_URL: db.url, DB_POOL_SIZE: undefined });
    expect(t.config.database.poolSize).toBe(10);
    expect(await appConnections()).toEqual({ idle: 10 });
  });

  it('follows DB_POOL_SIZE, and keeps the connections open while idle', async () => {
    t = await startTestApp({ DATABASE_URL: db.url, DB_POOL_SIZE: '3' });
    expect(await appConnections()).toEqual({ idle: 3 });
    // A burst wider than the pool queues on it instead of opening more connections.
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => t!.request(`/api/links/none-${i}`)));
    expect(responses.every((r) => r.statusCode === 404)).toBe(true);
    expect(await appConnections()).toEqual({ idle: 3 });
  });

  it('closes its connections on shutdown', async () => {
    t = await startTestApp({ DATABASE_URL: db.url });
    await t.close();
    t = undefined;
    expect(await appConnections()).toEqual({});
  });
});
