import { DEGRADED_LOCAL_TTL_MS, InvalidationChannel } from '@linkpool/cache';
import { type TestApp, startTestApp } from './support/app.js';
import { type TestDatabase, TestRedis, createTestDatabase, uniqueId, waitFor } from './support/services.js';

/**
 * Two instances of the app on one Postgres and one Redis, each with its in-process cache in
 * front of Redis. Local entries are kept for 60 s here, so an instance that missed an
 * invalidation would serve the old target for a minute: every change below must reach the other
 * instance through the Redis invalidation channel instead (bound: the delivery of one pub/sub
 * message), or, while Redis is away, within DEGRADED_LOCAL_TTL_MS.
 */

const LOCAL_TTL_MS = '60000';
/** How long a test waits for the other instance to serve the change before failing (far below the 60 s TTL). */
const PATIENCE_MS = 5000;

const locationOf = async (t: TestApp, code: string): Promise<string | number> => {
  const res = await t.request(`/${code}`);
  return res.statusCode === 302 ? (res.headers.location as string) : res.statusCode;
};

/**
 * Polls `t` until `code` answers `next`; every answer on the way must be `previous` or `next`.
 * Resolves with the number of stale answers seen (after the write had returned).
 */
async function untilServed(t: TestApp, code: string, previous: string | number, next: string | number): Promise<number> {
  let stale = 0;
  await waitFor(
    async () => {
      const seen = await locationOf(t, code);
      if (seen !== previous && seen !== next) throw new Error(`unexpected answer ${seen}`);
      if (seen === previous) stale++;
      return seen === next;
    },
    PATIENCE_MS,
    `/${code} to answer ${next}`,
  );
  return stale;
}

describe('cache coherence across two instances (one Postgres, one Redis)', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const channelOf = (t: TestApp) => t.app.get(InvalidationChannel);

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, CACHE_KEY_PREFIX: `test:${uniqueId()}`, CACHE_LOCAL_TTL_MS: LOCAL_TTL_MS };
    a = await startTestApp(env);
    b = await startTestApp(env);
    await waitFor(() => channelOf(a).healthy && channelOf(b).healthy, 5000, 'both invalidation channels');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('serves an update made through the other instance as soon as the invalidation arrives', async () => {
    expect((await a.request({ method: 'POST', url: '/api/links', payload: { url: 'https://one.example/', alias: 'moving' } })).statusCode).toBe(201);
    expect(await locationOf(b, 'moving')).toBe('https://one.example/');
    expect(await locationOf(a, 'moving')).toBe('https://one.example/');

    const heard = channelOf(b).received;
    const patched = await a.request({ method: 'PATCH', url: '/api/links/moving', payload: { url: 'https://two.example/' } });
    expect(patched.statusCode).toBe(200);
    await untilServed(b, 'moving', 'https://one.example/', 'https://two.example/');
    expect(channelOf(b).received).toBeGreaterThan(heard);
    // From then on, never the old target again.
    for (let i = 0; i < 20; i++) expect(await locationOf(b, 'moving')).toBe('https://two.example/');
    expect(await locationOf(a, 'moving')).toBe('https://two.example/');
  });

  it('answers 404 on the other instance after a delete', async () => {
    await b.request({ method: 'POST', url: '/api/links', payload: { url: 'https://gone.example/', alias: 'doomed' } });
    expect(await locationOf(a, 'doomed')).toBe('https://gone.example/');
    expect(await locationOf(b, 'doomed')).toBe('https://gone.example/');

    expect((await b.request({ method: 'DELETE', url: '/api/links/doomed' })).statusCode).toBe(204);
    await untilServed(a, 'doomed', 'https://gone.example/', 404);
    expect(await locationOf(a, 'doomed')).toBe(404);
  });

  it('drops a cached "absent" on the other instance when the code is created', async () => {
    expect(await locationOf(b, 'soon-here')).toBe(404);
    expect(await locationOf(b, 'soon-here')).toBe(404); // now cached as absent, locally and in Redis
    expect((await a.request({ method: 'POST', url: '/api/links', payload: { url: 'https://here.example/', alias: 'soon-here' } })).statusCode).toBe(201);
    await untilServed(b, 'soon-here', 404, 'https://here.example/');
  });

  it('does not let a read racing with the update leave the old target cached on the other instance', async () => {
    await a.request({ method: 'POST', url: '/api/links', payload: { url: 'https://r1.example/', alias: 'racy' } });
    // b's lookup reads Postgres before the update and returns only after the update (and its
    // invalidation) went through a: the answer it got may be old, but it must not be cached.
    const { LinksRepository } = await import('../apps/api/src/links/links.repository.js');
    const repo = b.app.get(LinksRepository);
    const original = repo.findTarget.bind(repo);
    let updated!: () => void;
    const updateDone = new Promise<void>((resolve) => (updated = resolve));
    const spy = vi.spyOn(repo, 'findTarget').mockImplementationOnce(async (code: string) => {
      const row = await original(code);
      await updateDone;
      return row;
    });
    const racing = locationOf(b, 'racy');
    await waitFor(() => spy.mock.calls.length === 1, 2000, 'b to start its lookup');
    const heard = channelOf(b).received;
    expect((await a.request({ method: 'PATCH', url: '/api/links/racy', payload: { url: 'https://r2.example/' } })).statusCode).toBe(200);
    await waitFor(() => channelOf(b).received > heard, 2000, 'the message');
    updated();
    expect(await racing).toBe('https://r1.example/');
    spy.mockRestore();

    // Whatever order the message and the late answer took, neither b nor Redis keeps r1.
    await untilServed(b, 'racy', 'https://r1.example/', 'https://r2.example/');
    for (let i = 0; i < 10; i++) expect(await locationOf(b, 'racy')).toBe('https://r2.example/');
    expect(await locationOf(a, 'racy')).toBe('https://r2.example/');
  });
});

describe('cache coherence while Redis is down', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let a: TestApp;
  let b: TestApp;
  const channelOf = (t: TestApp) => t.app.get(InvalidationChannel);

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await TestRedis.start();
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, CACHE_LOCAL_TTL_MS: LOCAL_TTL_MS, CACHE_TIMEOUT_MS: '100' };
    a = await startTestApp(env);
    b = await startTestApp(env);
    await waitFor(() => channelOf(a).healthy && channelOf(b).healthy, 5000, 'both invalidation channels');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.kill();
    await db?.drop();
  });

  it(`serves a change made through the other instance within ${DEGRADED_LOCAL_TTL_MS} ms of local lifetime, then heals`, async () => {
    await a.request({ method: 'POST', url: '/api/links', payload: { url: 'https://d1.example/', alias: 'dark' } });
    expect(await locationOf(b, 'dark')).toBe('https://d1.example/');

    await redis.kill();
    await waitFor(() => !channelOf(a).healthy && !channelOf(b).healthy, 5000, 'both channels to report down');
    // Nothing can be heard now: b dropped its local cache and keeps new entries for at most 1 s.
    expect(await locationOf(b, 'dark')).toBe('https://d1.example/');
    expect((await a.request({ method: 'PATCH', url: '/api/links/dark', payload: { url: 'https://d2.example/' } })).statusCode).toBe(200);
    await untilServed(b, 'dark', 'https://d1.example/', 'https://d2.example/');

    await redis.start();
    await waitFor(() => channelOf(a).healthy && channelOf(b).healthy, 10_000, 'both channels to recover');
    expect((await b.request({ method: 'PATCH', url: '/api/links/dark', payload: { url: 'https://d3.example/' } })).statusCode).toBe(200);
    await untilServed(a, 'dark', 'https://d2.example/', 'https://d3.example/');
  });
});
