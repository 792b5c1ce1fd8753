import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { type TestDatabase, createTestDatabase } from './support/services.js';

const run = promisify(execFile);
const MAIN = resolve(import.meta.dirname, '../dist/apps/api/main.js');
const migrate = (env: Record<string, string>) =>
  run(process.execPath, [MAIN, 'migrate'], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env }, timeout: 30_000 });

describe('npm run migration:run (main.js migrate)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('creates the schema once, then finds it up to date', async () => {
    expect((await migrate({ DATABASE_URL: db.url })).stdout).toContain('applied: CreateLinks1764380000000');
    const columns = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'links' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'code', 'url', 'created_at', 'updated_at', 'expires_at', 'click_count']);
    expect((await migrate({ DATABASE_URL: db.url })).stdout).toContain('schema is up to date');
  });

  it('refuses to run without a database server configured', async () => {
    await expect(migrate({})).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('needs DATABASE_URL or DB_HOST') });
  });
});
