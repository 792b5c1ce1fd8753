import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createClient } from '@keyv/redis';
import { ADMIN_DATABASE_URL, REDIS_URL } from './support/services.js';

/** Fails the run at once, with a useful message, when Postgres or Redis is not there. */
export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`Postgres is not reachable at ${ADMIN_DATABASE_URL} (set TEST_DATABASE_URL): ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = createClient({ url: REDIS_URL, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${REDIS_URL} (set TEST_REDIS_URL): ${(error as Error).message}`);
  } finally {
    await redis.close().catch(() => undefined);
  }
  // The process-level tests run the built service, as `npm run start:prod` does.
  execFileSync('npx', ['nest', 'build', 'api'], { stdio: 'ignore' });
}
