import { spawnApp } from './support/process.js';
import { type TestDatabase, createTestDatabase } from './support/services.js';

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
  // SIGTERM under load (drain, flush, exit 0): test/faults/sigterm.e2e.spec.ts.
});
