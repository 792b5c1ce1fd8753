import { Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ApiKeysService } from '../apps/api/src/api-keys/api-keys.service.js';
import { type TestApp, startTestApp } from './support/app.js';
import { TEST_API_KEY, TestRedis, type TestDatabase, createTestDatabase, uniqueId, waitFor } from './support/services.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const NO_KEY = { 'x-api-key': undefined };

/** Every route of the management API, as a request that would succeed with a key. */
const API_ROUTES = [
  { method: 'GET', url: '/api/links' },
  { method: 'POST', url: '/api/links', payload: { url: 'https://guarded.example/' } },
  { method: 'GET', url: '/api/links/guarded' },
  { method: 'GET', url: '/api/links/guarded/stats' },
  { method: 'PATCH', url: '/api/links/guarded', payload: { url: 'https://guarded.example/v2' } },
  { method: 'DELETE', url: '/api/links/guarded' },
] as const;

/** API keys, rate limits, security headers, CORS and trustProxy, against real Postgres and Redis. */
describe('security', () => {
  let db: TestDatabase;
  let t: TestApp;
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string | undefined>) => {
    const app = await startTestApp({ DATABASE_URL: db.url, ...env });
    apps.push(app);
    return app;
  };
  const create = (app: TestApp, body: object, headers: Record<string, string | undefined> = {}) =>
    app.request({ method: 'POST', url: '/api/links', payload: body, headers });

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await start({});
    expect((await create(t, { url: 'https://guarded.example/', alias: 'guarded' })).statusCode).toBe(201);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.drop();
  });

  describe('API keys', () => {
    it.each(API_ROUTES)('refuses $method $url without a key: 401 JSON and WWW-Authenticate', async (route) => {
      const before = await db.query('SELECT code, url FROM links ORDER BY id');
      const res = await t.request({ ...route, headers: NO_KEY });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="linkpool"');
      expect(res.json()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'API_KEY_MISSING',
        message: 'an API key is required: send it in the x-api-key header or as Authorization: Bearer <key>',
      });
      expect(await db.query('SELECT code, url FROM links ORDER BY id')).toEqual(before);
    });

    it('refuses an unknown or malformed key with 401, in either header', async () => {
      const unknown = 'lp_' + 'Z'.repeat(43);
      for (const headers of [{ 'x-api-key': unknown }, { authorization: `Bearer ${unknown}` }, { 'x-api-key': 'nope' }]) {
        const res = await t.rawRequest({ url: '/api/links', headers });
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', code: 'API_KEY_INVALID' });
      }
    });

    it('accepts the key from API_KEYS as x-api-key or as a Bearer token, and stores only its hash', async () => {
      expect((await t.request('/api/links')).statusCode).toBe(200);
      const bearer = await t.rawRequest({ url: '/api/links/guarded', headers: { authorization: `Bearer ${TEST_API_KEY}` } });
      expect(bearer.statusCode).toBe(200);

      const rows = await db.query<{ name: string; prefix: string; key_hash: Buffer }>('SELECT * FROM api_keys');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ name: 'from API_KEYS', prefix: TEST_API_KEY.slice(0, 10) });
      expect(rows[0].key_hash.equals(createHash('sha256').update(TEST_API_KEY).digest())).toBe(true);
      expect(JSON.stringify(rows)).not.toContain(TEST_API_KEY.slice(10));
    });

    it('records when a key was last used, without a database write per request', async () => {
      const lastUsed = async () => (await db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE prefix = $1', [TEST_API_KEY.slice(0, 10)]))[0].last_used_at;
      const first = await waitFor(lastUsed, 3000, 'last_used_at to be set');
      await Promise.all(Array.from({ length: 20 }, () => t.request('/api/links?limit=1')));
      await new Promise((done) => setTimeout(done, 200));
      expect(await lastUsed()).toEqual(first);
    });

    it('refuses a key revoked through the service with 403, at once', async () => {
      const keys = t.app.get(ApiKeysService);
      const { key, apiKey } = await keys.create('e2e revoked');
      expect((await t.request({ url: '/api/links', headers: { 'x-api-key': key } })).statusCode).toBe(200);
      await keys.revoke(apiKey.prefix);
      const res = await t.request({ url: '/api/links', headers: { 'x-api-key': key } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        code: 'API_KEY_REVOKED',
        message: `the API key ${apiKey.prefix}… has been revoked`,
      });
    });

    it('leaves the redirect path, health and the docs open', async () => {
      const redirect = await t.rawRequest('/guarded');
      expect(redirect.statusCode).toBe(302);
      expect(redirect.headers.location).toBe('https://guarded.example/');
      expect((await t.rawRequest('/no-such-link')).statusCode).toBe(404);
      for (const url of ['/health/live', '/health/ready', '/docs', '/docs-json']) {
        expect((await t.rawRequest(url)).statusCode, url).toBe(200);
      }
      // The OpenAPI document tells clients (and Swagger UI) to send the key.
      const docs = (await t.rawRequest('/docs-json')).json();
      expect(docs.components.securitySchemes['api-key']).toEqual({ type: 'apiKey', in: 'header', name: 'x-api-key' });
      expect(docs.paths['/api/links'].post.security).toEqual([{ 'api-key': [] }]);
      expect(docs.paths['/{code}'].get.security).toBeUndefined();
    });

    it('in server mode without any key refuses every API call, and says at boot how to create one', async () => {
      const fresh = await createTestDatabase();
      const warnings = vi.spyOn(Logger.prototype, 'warn');
      try {
        const app = await startTestApp({ DATABASE_URL: fresh.url, API_KEYS: undefined });
        try {
          expect(warnings.mock.calls.map(([message]) => String(message))).toContainEqual(
            expect.stringMatching(/No active API key: every \/api request is refused with 401\. Create one with `npm run apikey -- create <name>`/),
          );
          expect((await app.rawRequest('/api/links')).statusCode).toBe(401);
          expect((await app.request('/api/links')).statusCode).toBe(401);
        } finally {
          await app.close();
        }
      } finally {
        warnings.mockRestore();
        await fresh.drop();
      }
    });

    it('embedded zero-install mode with no key runs open, says so loudly, limits per IP, and closes once a key exists', { timeout: 90_000 }, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'linkpool-open-'));
      const warnings = vi.spyOn(Logger.prototype, 'warn');
      try {
        const app = await startTestApp({
          DATABASE_URL: undefined,
          REDIS_URL: undefined,
          DATA_DIR: dataDir,
          API_KEYS: undefined,
          RATE_LIMIT_CREATE_PER_IP: '2',
        });
        try {
          expect(warnings.mock.calls.map(([message]) => String(message))).toContainEqual(expect.stringMatching(/^THE API IS OPEN: no API key is configured/));
          const open = () => app.rawRequest({ method: 'POST', url: '/api/links', payload: { url: 'https://open.example/' } });
          expect((await open()).statusCode).toBe(201);
          expect((await open()).statusCode).toBe(201);
          const limited = await open();
          expect(limited.statusCode).toBe(429);
          expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
          // Another client IP has its own budget.
          const other = await app.rawRequest({ method: 'POST', url: '/api/links', payload: { url: 'https://open.example/' }, remoteAddress: '192.0.2.7' });
          expect(other.statusCode).toBe(201);

          await app.app.get(ApiKeysService).create('first key');
          expect((await app.rawRequest('/api/links')).statusCode).toBe(401);
        } finally {
          await app.close();
        }
      } finally {
        warnings.mockRestore();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('npm run apikey', () => {
    const cli = async (args: string[], viaNpm = false) => {
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
      const [command, argv] = viaNpm ? ['npm', ['run', '-s', 'apikey', '--', ...args]] : [process.execPath, ['dist/apps/api/main.js', 'apikey', ...args]];
      const { stdout } = await run(command, argv, { cwd: root, env, timeout: 120_000 });
      return stdout;
    };

    it('creates a key (printed once), lists it by prefix, and revokes it', { timeout: 180_000 }, async () => {
      const created = await cli(['create', 'cli round trip'], true);
      const key = created.match(/^lp_[0-9A-Za-z]{43}$/m)?.[0];
      expect(key, created).toBeDefined();
      expect((await t.request({ url: '/api/links', headers: { 'x-api-key': key! } })).statusCode).toBe(200);

      const listed = await cli(['list']);
      const line = listed.split('\n').find((l) => l.includes('cli round trip'));
      expect(line).toContain(`${key!.slice(0, 10)}…`);
      expect(listed).not.toContain(key!.slice(10));
      expect(line).toMatch(/\s-$/); // not revoked

      expect(await cli(['revoke', key!.slice(0, 10)])).toMatch(/^Revoked API key \d+ "cli round trip"/);
      expect((await t.request({ url: '/api/links', headers: { 'x-api-key': key! } })).statusCode).toBe(403);
      expect((await cli(['list'])).split('\n').find((l) => l.includes('cli round trip'))).toMatch(/\d\d:\d\d:\d\d$/);
    });
  });

  describe('rate limits', () => {
    it('answers 429 with Retry-After once a key used up its creations, counted across two instances on one Redis', async () => {
      const shared = { CACHE_KEY_PREFIX: `test:${uniqueId()}`, RATE_LIMIT_CREATE_PER_KEY: '3' };
      const [a, b] = [await start(shared), await start(shared)];
      expect((await create(a, { url: 'https://a.example/1' })).statusCode).toBe(201);
      expect((await create(b, { url: 'https://b.example/2' })).statusCode).toBe(201);
      const third = await create(a, { url: 'https://a.example/3' });
      expect(third.statusCode).toBe(201);
      expect(third.headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0' });

      for (const app of [b, a]) {
        const res = await create(app, { url: 'https://too.many.example/' });
        expect(res.statusCode).toBe(429);
        const retryAfter = Number(res.headers['retry-after']);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(res.json()).toEqual({
          statusCode: 429,
          error: 'Too Many Requests',
          code: 'RATE_LIMITED',
          message: expect.stringMatching(/^too many requests: at most 3 per 60 s; retry in \d+ s$/),
        });
      }
      expect(await db.query(`SELECT 1 FROM links WHERE url = 'https://too.many.example/'`)).toEqual([]);

      // Other API calls have a budget of their own, and another key its own creations.
      expect((await a.request('/api/links?limit=1')).statusCode).toBe(200);
      const { key } = await a.app.get(ApiKeysService).create('second client');
      expect((await create(b, { url: 'https://b.example/other' }, { 'x-api-key': key })).statusCode).toBe(201);
    });

    it('does not throttle the redirect path', async () => {
      const app = await start({ RATE_LIMIT_API_PER_KEY: '1', RATE_LIMIT_CREATE_PER_KEY: '1' });
      const redirects = await Promise.all(Array.from({ length: 50 }, () => app.rawRequest('/guarded')));
      expect(redirects.every((r) => r.statusCode === 302 && r.headers['x-ratelimit-limit'] === undefined)).toBe(true);
    });

    it('turns off with RATE_LIMIT_ENABLED=false', async () => {
      const app = await start({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_CREATE_PER_KEY: '1' });
      for (let i = 0; i < 3; i++) expect((await create(app, { url: `https://unlimited.example/${i}` })).statusCode).toBe(201);
    });

    it('keeps limiting, in process, while Redis is down, without failing or hanging a request', async () => {
      const redis = await TestRedis.start();
      try {
        const app = await start({ REDIS_URL: redis.url, RATE_LIMIT_CREATE_PER_KEY: '2', CACHE_TIMEOUT_MS: '100' });
        await waitFor(async () => (await app.request('/health/ready')).json().details?.cache?.status === 'up', 5000, 'Redis to be up');
        await redis.kill();
        const started = Date.now();
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await create(app, { url: `https://redis-down.example/${i}` })).statusCode);
        expect(statuses).toEqual([201, 201, 429]);
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await redis.kill();
      }
    });

    it('offers an opt-in per-IP limit on redirects, by client IP when the proxy is trusted (TRUST_PROXY)', async () => {
      const app = await start({ RATE_LIMIT_REDIRECT_PER_IP: '2', TRUST_PROXY: 'loopback' });
      const via = (remoteAddress: string, client: string) =>
        app.rawRequest({ url: '/guarded', remoteAddress, headers: { 'x-forwarded-for': client } });

      // From the trusted proxy (loopback): each client behind it has its own budget.
      expect((await via('127.0.0.1', '203.0.113.1')).statusCode).toBe(302);
      expect((await via('127.0.0.1', '203.0.113.1')).statusCode).toBe(302);
      const limited = await via('127.0.0.1', '203.0.113.1');
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await via('127.0.0.1', '203.0.113.2')).statusCode).toBe(302);

      // From an untrusted peer, X-Forwarded-For is ignored: forging it buys no new budget.
      expect((await via('192.0.2.50', '198.51.100.1')).statusCode).toBe(302);
      expect((await via('192.0.2.50', '198.51.100.2')).statusCode).toBe(302);
      expect((await via('192.0.2.50', '198.51.100.3')).statusCode).toBe(429);
    });
  });

  describe('HTTP hardening', () => {
    it('sets security headers on the API, health and docs, but not on redirects', async () => {
      for (const url of ['/api/links', '/health/ready', '/docs', '/no/such/route']) {
        const res = await t.request(url);
        expect(res.headers['x-content-type-options'], url).toBe('nosniff');
        expect(res.headers['x-frame-options'], url).toBe('SAMEORIGIN');
        expect(res.headers['strict-transport-security'], url).toMatch(/^max-age=\d+/);
        expect(res.headers['referrer-policy'], url).toBe('no-referrer');
        expect(res.headers['content-security-policy'], url).toMatch(/default-src 'self'/);
        expect(res.headers['content-security-policy'], url).not.toMatch(/upgrade-insecure-requests/);
      }
      const redirect = await t.rawRequest('/guarded');
      expect(redirect.statusCode).toBe(302);
      expect(redirect.headers['content-security-policy']).toBeUndefined();
    });

    it('serves Swagger UI within its CSP: scripts from its own origin only, inline styles allowed', async () => {
      const page = await t.rawRequest('/docs');
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toMatch(/style-src [^;]*'unsafe-inline'/);
      const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, inline] of scripts) {
        expect(inline.trim(), 'no inline script').toBe('');
        const src = /src="\.\/([^"]+)"/.exec(attributes)?.[1];
        expect(src).toBeDefined();
        expect((await t.rawRequest(`/${src}`)).statusCode, src).toBe(200);
      }
    });

    it('answers CORS only for the origins in CORS_ORIGINS (off by default)', async () => {
      const preflight = (app: TestApp, origin: string) =>
        app.rawRequest({
          method: 'OPTIONS',
          url: '/api/links',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
        });
      expect((await t.request({ url: '/api/links', headers: { origin: 'https://app.example.com' } })).headers['access-control-allow-origin']).toBeUndefined();

      const app = await start({ CORS_ORIGINS: 'https://app.example.com' });
      const allowed = await preflight(app, 'https://app.example.com');
      expect(allowed.statusCode).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/x-api-key/);
      expect(String(allowed.headers['access-control-allow-methods'])).toMatch(/POST/);
      const get = await app.request({ url: '/api/links', headers: { origin: 'https://app.example.com' } });
      expect(get.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(String(get.headers['access-control-expose-headers'])).toMatch(/retry-after/);

      expect((await preflight(app, 'https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
