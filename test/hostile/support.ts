import pg from 'pg';
import { type TestApp, startTestApp } from '../support/app.js';
import { TEST_API_KEY, type TestDatabase, createTestDatabase } from '../support/services.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json(): any;
}

/**
 * The real application in process (Fastify's injector: same routing, parsing, validation and
 * error handling as a socket, without one), on a database of its own, and a long-lived
 * Postgres client to read that database between requests.
 */
export interface HostileApp {
  t: TestApp;
  db: TestDatabase;
  sql: pg.Client;
  /** Sends exactly this request; /api calls carry the test API key unless `headers` says otherwise. */
  send(method: Method, url: string, options?: { payload?: string | object | Buffer; headers?: Record<string, string> }): Promise<Reply>;
  /** Everything stored, in a form that any change (row, column, click) alters. */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

export async function startHostileApp(env: Record<string, string> = {}): Promise<HostileApp> {
  const db = await createTestDatabase();
  let t: TestApp | undefined;
  const sql = new pg.Client({ connectionString: db.url });
  try {
    t = await startTestApp({ DATABASE_URL: db.url, RATE_LIMIT_ENABLED: 'false', ...env });
    await sql.connect();
  } catch (error) {
    await t?.close();
    await db.drop();
    throw error;
  }
  const app = t;
  return {
    t: app,
    db,
    sql,
    async send(method, url, { payload, headers } = {}) {
      const res = await app.app.inject({
        method,
        url,
        payload,
        headers: { 'x-api-key': TEST_API_KEY, ...headers },
      });
      return { status: res.statusCode, headers: res.headers, body: res.body, json: () => res.json() };
    },
    async snapshot() {
      const rows = await sql.query(
        `SELECT id, code, url, created_at, updated_at, expires_at, click_count FROM links ORDER BY id`,
      );
      return JSON.stringify(rows.rows);
    },
    async close() {
      await sql.end().catch(() => undefined);
      await app.close();
      await db.drop();
    },
  };
}

/** Asserts the shape every API error has: JSON `{statusCode, error, message}` with the response status. */
export function expectJsonError(res: Reply, status?: number): void {
  if (status !== undefined) expect(res.status, res.body).toBe(status);
  expect(res.status, res.body).toBeGreaterThanOrEqual(400);
  expect(res.status, res.body).toBeLessThan(500);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = res.json();
  expect(body).toMatchObject({ statusCode: res.status, error: expect.any(String), message: expect.any(String) });
}

/** What a Location header may be: printable ASCII only (no CR, LF, NUL, space or 8-bit bytes). */
export const SAFE_HEADER_VALUE = /^[\x21-\x7e]+$/;
