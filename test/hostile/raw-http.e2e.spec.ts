import { connect } from 'node:net';
import { type AppProcess, spawnApp } from '../support/process.js';
import { REDIS_URL, TEST_API_KEY, type TestDatabase, createTestDatabase, uniqueId } from '../support/services.js';

/**
 * Hostile input below HTTP's surface, on raw sockets against the built service as a real
 * process: oversized headers (Node's limit is 16 KB: a 431, not a crash), malformed request
 * lines and headers, request smuggling shapes, lying or huge Content-Length, oversized chunked
 * bodies. Each gets a 4xx; afterwards the process is alive, still serves, and Postgres holds
 * exactly what it held before.
 */
interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** Writes `request` as is and reads until the server closes (or `timeoutMs`, which fails). */
function raw(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms; got: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    // A reset after the answer (the server closing with unread input) is fine: the answer is in.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: rest.join('\r\n\r\n') });
    });
    socket.on('connect', () => socket.write(request));
  });
}

const KB = 1024;
const crlf = (...lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;
const json = '{"url":"https://smuggled.example/"}';

const cases: Array<{ name: string; request: () => string; status: number | number[] }> = [
  {
    name: 'one header of 20 KB',
    request: () => crlf('HEAD /raw-keep HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(20 * KB)}`, 'Connection: close'),
    status: 431,
  },
  {
    name: 'an API key header of 20 KB',
    request: () => crlf('GET /api/links HTTP/1.1', 'Host: x', `x-api-key: ${'k'.repeat(20 * KB)}`, 'Connection: close'),
    status: 431,
  },
  {
    name: '400 headers of 64 bytes',
    request: () => crlf('HEAD /raw-keep HTTP/1.1', 'Host: x', ...Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'b'.repeat(58)}`), 'Connection: close'),
    status: 431,
  },
  {
    name: 'a 20 KB request target',
    request: () => crlf(`GET /${'c'.repeat(20 * KB)} HTTP/1.1`, 'Host: x', 'Connection: close'),
    status: [414, 431],
  },
  { name: 'a garbage request line', request: () => crlf('HELLO WORLD', 'Host: x'), status: 400 },
  // Node answers a request line without a version as HTTP/0.9 would be: harmless either way.
  { name: 'an HTTP/0.9-style request', request: () => 'HEAD /raw-keep\r\n\r\n', status: [400, 302] },
  { name: 'an unknown HTTP version', request: () => crlf('HEAD /raw-keep HTTP/7.0', 'Host: x'), status: [400, 505] },
  { name: 'a NUL in a header value', request: () => crlf('HEAD /raw-keep HTTP/1.1', 'Host: x', 'X-A: a\u0000b', 'Connection: close'), status: 400 },
  { name: 'a space in a header name', request: () => crlf('HEAD /raw-keep HTTP/1.1', 'Host: x', 'X Bad: 1', 'Connection: close'), status: 400 },
  { name: 'a bare LF header injection', request: () => 'HEAD /raw-keep HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-B: 2\r\nConnection: close\r\n\r\n', status: [400, 302] },
  {
    name: 'Content-Length and Transfer-Encoding together (smuggling)',
    request: () =>
      crlf('POST /api/links HTTP/1.1', 'Host: x', `x-api-key: ${TEST_API_KEY}`, 'Content-Type: application/json', `Content-Length: ${json.length}`, 'Transfer-Encoding: chunked', 'Connection: close') +
      `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'two different Content-Lengths',
    request: () =>
      crlf('POST /api/links HTTP/1.1', 'Host: x', `x-api-key: ${TEST_API_KEY}`, 'Content-Type: application/json', `Content-Length: ${json.length}`, 'Content-Length: 5', 'Connection: close') + json,
    status: 400,
  },
  {
    name: 'a non-numeric Content-Length',
    request: () => crlf('POST /api/links HTTP/1.1', 'Host: x', `x-api-key: ${TEST_API_KEY}`, 'Content-Type: application/json', 'Content-Length: abc', 'Connection: close') + json,
    status: 400,
  },
  {
    name: 'a 10 GB Content-Length with no body sent (answered at once, no wait for the body)',
    request: () => crlf('POST /api/links HTTP/1.1', 'Host: x', `x-api-key: ${TEST_API_KEY}`, 'Content-Type: application/json', 'Content-Length: 10737418240', 'Connection: close'),
    status: 413,
  },
  {
    name: 'a chunked body over the limit',
    request: () => {
      const chunk = `{"url":"https://a.example/${'d'.repeat(8 * KB)}`;
      return (
        crlf('POST /api/links HTTP/1.1', 'Host: x', `x-api-key: ${TEST_API_KEY}`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close') +
        `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(3) +
        '0\r\n\r\n'
      );
    },
    status: 413,
  },
  {
    name: 'an invalid chunk size',
    request: () => crlf('POST /api/links HTTP/1.1', 'Host: x', `x-api-key: ${TEST_API_KEY}`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close') + 'zz\r\n{}\r\n0\r\n\r\n',
    status: 400,
  },
];

describe('hostile input on raw sockets (real process)', () => {
  let db: TestDatabase;
  let app: AppProcess | undefined;
  let port: number;
  const snapshot = async () => JSON.stringify(await db.query('SELECT id, code, url, updated_at, expires_at, click_count FROM links ORDER BY id'));
  let before: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await spawnApp({ DATABASE_URL: db.url, REDIS_URL, CACHE_KEY_PREFIX: `test:${uniqueId()}`, RATE_LIMIT_ENABLED: 'false' });
    port = Number(new URL(app.baseUrl).port);
    const created = await fetch(`${app.baseUrl}/api/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY },
      body: JSON.stringify({ url: 'https://raw.example/', alias: 'raw-keep' }),
    });
    expect(created.status).toBe(201);
    before = await snapshot();
  });

  afterAll(async () => {
    if (app && app.child.exitCode === null) {
      app.child.kill('SIGKILL');
      await app.exited;
    }
    await db?.drop();
  });

  it.each(cases)('$name → $status', async ({ request, status }) => {
    const res = await raw(port, request());
    expect([status].flat(), res.head.slice(0, 300)).toContain(res.status);
    if (res.status !== 302 && /content-type: application\/json/i.test(res.head)) {
      expect(JSON.parse(res.body.trim() || '{}')).toMatchObject({ statusCode: res.status });
    }
    // Still alive and serving.
    expect(app!.child.exitCode).toBeNull();
    const live = await fetch(`${app!.baseUrl}/health/live`);
    expect(live.status).toBe(200);
  });

  it('a header just under the limit is served (so the 431 is the size, nothing else)', async () => {
    const res = await raw(port, crlf('HEAD /raw-keep HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(15 * KB)}`, 'Connection: close'));
    expect(res.status).toBe(302);
    expect(res.head).toMatch(/\r\nlocation: https:\/\/raw\.example\/\r\n/i);
  });

  it('after all of it: the process never crashed, and Postgres holds exactly what it held', async () => {
    expect(app!.child.exitCode).toBeNull();
    expect(await snapshot()).toBe(before);
    expect(app!.output()).not.toMatch(/uncaught|unhandled|"level":(50|60)/i);
    const res = await fetch(`${app!.baseUrl}/raw-keep`, { method: 'HEAD', redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).toEqual([302, 'https://raw.example/']);
  });
});
