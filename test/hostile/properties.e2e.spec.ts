import fc from 'fast-check';
import { isReservedCode } from '../../apps/api/src/links/link-code.js';
import { type HostileApp, type Reply, SAFE_HEADER_VALUE, expectJsonError, startHostileApp } from './support.js';

/**
 * Hostile input, generated (fast-check) over the whole public API. Each property states what
 * must hold for every input: a 4xx JSON error (never a 500) that leaves Postgres unchanged, or a
 * success whose stored data obeys the rules; and the redirect `Location` is always exactly the
 * stored, validated absolute http(s) URL. Runs are bounded (numRuns, and a time limit) so the
 * file stays fast; fast-check prints the seed and the shrunk counterexample of any failure.
 */
const RUNS = { numRuns: 100, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false } as const;
const PROPERTY_TIMEOUT_MS = 60_000;

/** The spec's rule for a URL linkpool may store and redirect to (issue 2), as an independent oracle. */
function acceptableUrl(input: string): URL | null {
  // eslint-disable-next-line no-control-regex
  if (input.length > 2048 || /[\u0000-\u0020\u007f-\u009f]/.test(input)) return null;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.href.length > 2048) return null;
  return url;
}

const ALIAS_RULE = /^[A-Za-z0-9_-]{3,64}$/;

// --- Generators
const schemes = fc.constantFrom(
  'http://', 'https://', 'HTTP://', 'hTtPs://', 'http:', 'https:/', 'http:\\\\', '//', '/', '', 'javascript:', 'JavaScript:',
  'data:text/html,', 'file://', 'ftp://', 'vbscript:', 'blob:https://', ' http://', '\thttps://', 'ht\ntp://', 'ws://', 'https:///',
);
const userinfo = fc.constantFrom('', '', '', '', 'user@', 'user:pw@', ':pw@', '@', 'a%40b@', 'good.example@');
const hosts = fc.oneof(
  fc.domain(),
  fc.constantFrom(
    'example.com', 'EXAMPLE.COM', '127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', 'xn--caf-dma.example', 'caf\u00e9.example', 'localhost',
    'a..b', '', '%65xample.com', 'exa mple.com', '0x7f.1', '2130706433', '\u0430pple.com', 'a\u0000b.com', 'a\u200bb.com',
  ),
);
const ports = fc.constantFrom('', '', '', ':80', ':443', ':0', ':65535', ':65536', ':-1', ':abc');
const pathUnits = fc.constantFrom(
  'a', 'Z', '0', '/', '.', '..', '?', '#', '&', '=', '%', '%0d', '%0a', '%00', '%2e', '\\', '@', ':', ' ', '\r', '\n', '\r\n',
  '\t', '\u0000', '\u007f', '\u0085', '\u00a0', '\u2028', '\u00e9', '\u{1F600}', '<', '>', '"', "'", '`', '{', '}', '|', '^',
  '[', ']', 'javascript:', 'Location: x',
);
const hostileUrl = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(schemes, userinfo, hosts, ports, fc.string({ unit: pathUnits, maxLength: 12 })).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  // Around the length limit, before and after normalization.
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 2030, max: 2060 }), fc.constantFrom('x', '\u00fc', ' ')).map(([n, c]) => `https://a.example/${c.repeat(n - 18)}`.slice(0, n)) },
);
const validUrl = fc
  .webUrl({
    validSchemes: ['http', 'https'],
    withQueryParameters: true,
    withFragments: true,
    authoritySettings: { withIPv4: true, withIPv6: true, withPort: true },
  })
  .filter((u) => u.length <= 2048);
const aliasCandidates = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{3,64}$/),
  fc.string({ unit: 'binary', maxLength: 70 }),
  fc.string({ unit: fc.constantFrom('a', 'B', '1', '-', '_', '.', '/', '%', '\\', ' ', '\u0000', '\u00e9', '\uff41'), minLength: 1, maxLength: 66 }),
  fc.constantFrom('api', 'API', 'Health', 'docs', 'docs-json', 'well-known', 'favicon', 'metrics', '..', '...', '../api', 'a/b'),
);
const pathSegments = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }).map(encodeURIComponent),
  fc.string({ unit: fc.constantFrom('%', '2', 'e', 'E', 'f', 'F', '0', 'c', 'a', '.', '/', '-', '_', '~', '+', 'z', '$', '!'), maxLength: 30 }),
  fc.integer({ min: 60, max: 400 }).map((n) => 'k'.repeat(n)),
);
const jsonKeys = fc.constantFrom('url', 'alias', 'expiresAt', 'code', 'clicks', 'id', '__proto__', 'constructor', 'toString', '');
const jsonValues = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, 'https://ok.example/', 'javascript:alert(1)', '2999-01-01T00:00:00Z', '2000-01-01T00:00:00Z', 'abc-def', 'api'),
);
/** Any JSON; any object of (mostly known) keys; or exactly the DTO's fields, each of any type or null. */
const jsonBodies = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(jsonKeys, jsonValues, { maxKeys: 4 }),
    { weight: 3, arbitrary: fc.record(fields, { requiredKeys: [] }) },
  );
const creationBodies = jsonBodies({ url: jsonValues, alias: jsonValues, expiresAt: jsonValues });
const updateBodies = jsonBodies({ url: jsonValues, expiresAt: jsonValues });
const queryValues = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  // Around the largest bigint (2^63 - 1), where a cursor still looks like one.
  fc.bigInt({ min: 2n ** 63n - 3n, max: 10n ** 19n - 1n }).map(String),
  fc.integer().map(String),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', '1e3', 'NaN', 'Infinity', '0x10', '00001', ' 1', '1 ', '9223372036854775807', '9223372036854775808'),
);

describe('hostile input, generated: properties over the public API', () => {
  let h: HostileApp;
  const storedCodes = async () => new Set((await h.sql.query<{ code: string }>('SELECT code FROM links')).rows.map((r) => r.code));

  /** A rejected request: a 4xx JSON error and not one stored byte changed. */
  const expectRejected = async (res: Reply, before: string) => {
    expectJsonError(res);
    expect(await h.snapshot()).toBe(before);
  };

  /** An accepted link: stored as new URL(input).href, and redirected to exactly that. */
  const expectStoredAndRedirected = async (res: Reply, input: string) => {
    const expected = new URL(input).href;
    expect(res.status, res.body).toBe(201);
    const { code, url } = res.json();
    expect(url).toBe(expected);
    const row = (await h.sql.query<{ url: string }>('SELECT url FROM links WHERE code = $1', [code])).rows;
    expect(row).toEqual([{ url: expected }]);
    // HEAD: the same redirect as GET without counting a click.
    const redirect = await h.send('HEAD', `/${code}`);
    expect(redirect.status).toBe(302);
    const location = String(redirect.headers.location);
    expect(location).toBe(expected);
    expect(location).toMatch(SAFE_HEADER_VALUE);
    expect(['http:', 'https:']).toContain(new URL(location).protocol);
  };

  beforeAll(async () => {
    h = await startHostileApp();
    expect((await h.send('POST', '/api/links', { payload: { url: 'https://fixture.example/', alias: 'prop-fixture' } })).status).toBe(201);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('every valid http(s) URL is accepted, stored as new URL(input).href and redirected to exactly that', async () => {
    await fc.assert(
      fc.asyncProperty(validUrl, async (input) => {
        const res = await h.send('POST', '/api/links', { payload: { url: input } });
        await expectStoredAndRedirected(res, input);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('any string as url: stored only when it is a safe absolute http(s) URL, else a 4xx that stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(hostileUrl, async (input) => {
        const before = await h.snapshot();
        const res = await h.send('POST', '/api/links', { payload: { url: input } });
        if (acceptableUrl(input)) await expectStoredAndRedirected(res, input);
        else {
          expect(res.status, `${JSON.stringify(input)}: ${res.body}`).toBe(400);
          await expectRejected(res, before);
        }
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('any string as url of an update: applied only when safe, else a 4xx that changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileUrl, validUrl), async (input) => {
        const before = await h.snapshot();
        const res = await h.send('PATCH', '/api/links/prop-fixture', { payload: { url: input } });
        if (!acceptableUrl(input)) {
          expect(res.status, `${JSON.stringify(input)}: ${res.body}`).toBe(400);
          return expectRejected(res, before);
        }
        expect(res.status, res.body).toBe(200);
        const redirect = await h.send('HEAD', '/prop-fixture');
        expect(redirect.headers.location).toBe(new URL(input).href);
        expect(String(redirect.headers.location)).toMatch(SAFE_HEADER_VALUE);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('any alias: created only when it is 3-64 of [A-Za-z0-9_-] and not reserved; taken → 409; else 400', async () => {
    await fc.assert(
      fc.asyncProperty(aliasCandidates, async (alias) => {
        const taken = (await storedCodes()).has(alias);
        const before = await h.snapshot();
        const res = await h.send('POST', '/api/links', { payload: { url: 'https://alias.example/', alias } });
        if (ALIAS_RULE.test(alias) && !isReservedCode(alias) && !taken) {
          expect(res.status, `${JSON.stringify(alias)}: ${res.body}`).toBe(201);
          expect(res.json().code).toBe(alias);
          const redirect = await h.send('HEAD', `/${encodeURIComponent(alias)}`);
          expect([redirect.status, redirect.headers.location]).toEqual([302, 'https://alias.example/']);
          return;
        }
        expect(res.status, `${JSON.stringify(alias)}: ${res.body}`).toBe(taken && ALIAS_RULE.test(alias) ? 409 : 400);
        await expectRejected(res, before);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('any path segment as a code, on every route that takes one: a 4xx JSON error, nothing changed', async () => {
    await fc.assert(
      fc.asyncProperty(pathSegments, async (segment) => {
        // A path naming a stored link (also after dot-segments are resolved) is a legitimate request.
        const codes = await storedCodes();
        const segments = new URL(`http://localhost/${segment}`).pathname.split('/').map((s) => {
          try {
            return decodeURIComponent(s);
          } catch {
            return s;
          }
        });
        fc.pre(!segments.some((s) => codes.has(s)));
        const before = await h.snapshot();
        const requests: Array<[Parameters<HostileApp['send']>[0], string, object?]> = [
          ['GET', `/${segment}`],
          ['GET', `/api/links/${segment}`],
          ['GET', `/api/links/${segment}/stats`],
          ['PATCH', `/api/links/${segment}`, { url: 'https://evil.example/' }],
          ['DELETE', `/api/links/${segment}`],
        ];
        for (const [method, url, payload] of requests) {
          const res = await h.send(method, url, { payload });
          expect([400, 404, 414], `${method} ${url}: ${res.status} ${res.body}`).toContain(res.status);
          expectJsonError(res);
        }
        expect(await h.snapshot()).toBe(before);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it.each([
    ['a creation', 'POST', '/api/links', creationBodies, 201],
    ['an update', 'PATCH', '/api/links/prop-fixture', updateBodies, 200],
  ] as const)('any JSON body for %s: a 2xx with a safe URL, or a 4xx that changes nothing', async (_, method, url, bodies, success) => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const before = await h.snapshot();
        const res = await h.send(method, url, { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
        if (res.status === success) {
          expect(acceptableUrl(res.json().url), res.body).not.toBeNull();
          return;
        }
        expect([400, 409], `${JSON.stringify(body)}: ${res.status} ${res.body}`).toContain(res.status);
        await expectRejected(res, before);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('any query for the listing: 200 with a page, or a 400; never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ limit: queryValues, cursor: queryValues }, { requiredKeys: [] }), async (query) => {
        const res = await h.send('GET', `/api/links?${new URLSearchParams(query)}`);
        if (res.status === 200) {
          expect(Array.isArray(res.json().items)).toBe(true);
          return;
        }
        expect(res.status, `${JSON.stringify(query)}: ${res.body}`).toBe(400);
        expectJsonError(res);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);
});
