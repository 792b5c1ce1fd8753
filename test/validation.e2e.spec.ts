import { type TestApp, startTestApp } from './support/app.js';
import { type TestDatabase, createTestDatabase } from './support/services.js';

type Case = {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  payload?: string | object;
  headers?: Record<string, string>;
  status: number;
  /** A fragment the message must contain: the field and the rule. */
  message: RegExp;
};

const longUrl = `https://example.com/${'a'.repeat(2040)}`;

const cases: Case[] = [
  { name: 'malformed JSON', method: 'POST', url: '/api/links', payload: '{"url": ', headers: { 'content-type': 'application/json' }, status: 400, message: /not valid JSON/ },
  { name: 'a JSON array body', method: 'POST', url: '/api/links', payload: '[1,2]', headers: { 'content-type': 'application/json' }, status: 400, message: /body must be a JSON object/ },
  { name: 'a JSON string body', method: 'POST', url: '/api/links', payload: '"https://a.example"', headers: { 'content-type': 'application/json' }, status: 400, message: /body must be a JSON object/ },
  { name: 'no body', method: 'POST', url: '/api/links', status: 400, message: /body must be a JSON object/ },
  { name: 'an empty JSON body', method: 'POST', url: '/api/links', payload: '', headers: { 'content-type': 'application/json' }, status: 400, message: /empty/i },
  { name: 'a non-JSON content type', method: 'POST', url: '/api/links', payload: 'url=https://a.example', headers: { 'content-type': 'text/plain' }, status: 415, message: /content-type must be application\/json/ },
  { name: 'a missing url', method: 'POST', url: '/api/links', payload: { alias: 'no-url' }, status: 400, message: /url must be a string/ },
  { name: 'url of the wrong type', method: 'POST', url: '/api/links', payload: { url: 42 }, status: 400, message: /url must be a string/ },
  { name: 'a relative url', method: 'POST', url: '/api/links', payload: { url: '/just/a/path' }, status: 400, message: /url must be an absolute http or https URL/ },
  { name: 'a javascript: url', method: 'POST', url: '/api/links', payload: { url: 'javascript:alert(1)' }, status: 400, message: /url must be an absolute http or https URL/ },
  { name: 'a data: url', method: 'POST', url: '/api/links', payload: { url: 'data:text/html,<b>x</b>' }, status: 400, message: /url must be an absolute http or https URL/ },
  { name: 'a file: url', method: 'POST', url: '/api/links', payload: { url: 'file:///etc/passwd' }, status: 400, message: /url must be an absolute http or https URL/ },
  { name: 'credentials in the url', method: 'POST', url: '/api/links', payload: { url: 'https://user:pw@example.com/' }, status: 400, message: /url must not contain credentials/ },
  { name: 'CR/LF in the url', method: 'POST', url: '/api/links', payload: { url: 'https://example.com/\r\nSet-Cookie: a=b' }, status: 400, message: /url must not contain spaces or control characters/ },
  { name: 'an over-long url', method: 'POST', url: '/api/links', payload: { url: longUrl + 'bbbbbbbbbb' }, status: 400, message: /url must be at most 2048 characters/ },
  { name: 'a too-short alias', method: 'POST', url: '/api/links', payload: { url: 'https://a.example', alias: 'ab' }, status: 400, message: /alias must be 3 to 64 characters/ },
  { name: 'an alias with a slash', method: 'POST', url: '/api/links', payload: { url: 'https://a.example', alias: '../etc' }, status: 400, message: /alias must be 3 to 64 characters/ },
  { name: 'a unicode alias', method: 'POST', url: '/api/links', payload: { url: 'https://a.example', alias: 'caf\u00e9' }, status: 400, message: /alias must be 3 to 64 characters/ },
  { name: 'a reserved alias', method: 'POST', url: '/api/links', payload: { url: 'https://a.example', alias: 'Health' }, status: 400, message: /alias must not be a reserved path/ },
  { name: 'an alias of the wrong type', method: 'POST', url: '/api/links', payload: { url: 'https://a.example', alias: ['x'] }, status: 400, message: /alias must be a string/ },
  { name: 'an unknown field', method: 'POST', url: '/api/links', payload: { url: 'https://a.example', clicks: 1000 }, status: 400, message: /property clicks should not exist/ },
  { name: 'a past expiry', method: 'POST', url: '/api/links', payload: { url: 'https://a.example', expiresAt: '2001-01-01T00:00:00Z' }, status: 400, message: /expiresAt must be in the future/ },
  { name: 'a non-date expiry', method: 'POST', url: '/api/links', payload: { url: 'https://a.example', expiresAt: 'tomorrow' }, status: 400, message: /expiresAt must be an ISO 8601 date-time/ },
  { name: 'a body over the limit', method: 'POST', url: '/api/links', payload: { url: `https://a.example/${'x'.repeat(20_000)}` }, status: 413, message: /body must not be larger than/ },
  { name: 'an empty patch', method: 'PATCH', url: '/api/links/keep-me', payload: {}, status: 400, message: /at least one of url, expiresAt/ },
  { name: 'a patch to a javascript: url', method: 'PATCH', url: '/api/links/keep-me', payload: { url: 'javascript:void(0)' }, status: 400, message: /url must be an absolute http or https URL/ },
  { name: 'a patch of the code', method: 'PATCH', url: '/api/links/keep-me', payload: { code: 'stolen' }, status: 400, message: /property code should not exist/ },
  { name: 'a bad code in the API path', method: 'GET', url: '/api/links/a..b', status: 400, message: /code must be 3 to 64 characters/ },
  { name: 'a NUL in the API path', method: 'DELETE', url: '/api/links/ab%00cd', status: 400, message: /code must be 3 to 64 characters/ },
  { name: 'an unknown link in the API', method: 'GET', url: '/api/links/nothere', status: 404, message: /no link has the code "nothere"/ },
  { name: 'a non-integer limit', method: 'GET', url: '/api/links?limit=abc', status: 400, message: /limit must be an integer/ },
  { name: 'a limit over 100', method: 'GET', url: '/api/links?limit=1000', status: 400, message: /limit must be at most 100/ },
  { name: 'a forged cursor', method: 'GET', url: '/api/links?cursor=1%20OR%201=1', status: 400, message: /cursor must be a nextCursor value/ },
  { name: 'a dotted code on the redirect path', method: 'GET', url: '/..%2f..%2fetc', status: 404, message: /no link/ },
  { name: 'a NUL on the redirect path', method: 'GET', url: '/abc%00', status: 404, message: /no link/ },
  { name: 'a very long code on the redirect path', method: 'GET', url: `/${'x'.repeat(150)}`, status: 404, message: /no link/ },
  { name: 'an unknown route', method: 'GET', url: '/api/nothing/here', status: 404, message: /Cannot GET/ },
];

describe('bad input gets a 4xx JSON error naming the field and the rule', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ DATABASE_URL: db.url });
    const res = await t.request({ method: 'POST', url: '/api/links', payload: { url: 'https://kept.example/', alias: 'keep-me' } });
    expect(res.statusCode).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it.each(cases)('$name → $status', async ({ method, url, payload, headers, status, message }) => {
    const before = await db.query('SELECT code, url, expires_at, click_count FROM links ORDER BY id');
    const res = await t.request({ method, url, payload, headers });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
    expect(body.message).toMatch(message);
    expect(await db.query('SELECT code, url, expires_at, click_count FROM links ORDER BY id')).toEqual(before);
  });

  it('names each broken field in details', async () => {
    const res = await t.request({ method: 'POST', url: '/api/links', payload: { url: 'ftp://x.example', alias: '!' } });
    expect(res.json().details).toEqual([
      { field: 'url', rule: 'isHttpUrl', message: 'url must be an absolute http or https URL' },
      { field: 'alias', rule: 'matches', message: 'alias must be 3 to 64 characters of A-Z, a-z, 0-9, _ or -' },
    ]);
  });

  it('stores a normalized URL, so the Location header is always a valid absolute http(s) URL', async () => {
    const created = await t.request({ method: 'POST', url: '/api/links', payload: { url: 'HTTPS://Example.COM/a b'.replace(' ', '%20') + '/ü' } });
    expect(created.statusCode).toBe(201);
    const redirect = await t.request(`/${created.json().code}`);
    expect(redirect.headers.location).toBe('https://example.com/a%20b/%C3%BC');
  });
});
