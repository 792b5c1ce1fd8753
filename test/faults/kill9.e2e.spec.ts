import { performance } from 'node:perf_hooks';
import { type AppProcess, spawnApp } from '../support/process.js';
import { REDIS_URL, type TestDatabase, createTestDatabase, sleep, uniqueId, waitFor } from '../support/services.js';
import { type ApiResult, api, createLink, ensureStopped, hit, redirectLoad } from './support.js';

/**
 * Issue 4, fault 6: `kill -9` of the service under load. Links are written to Postgres before
 * their 201, so none can be lost. Clicks are counted in memory and written in one batch every
 * CLICK_FLUSH_INTERVAL_MS, so a crash loses the clicks that were not yet written.
 *
 * THE DOCUMENTED BOUND. A flush takes the whole buffer at once (a synchronous swap) and writes it
 * in one UPDATE; flushes start every CLICK_FLUSH_INTERVAL_MS. So kill -9 loses exactly the clicks
 * counted after the start of the last flush that committed: at most one flush interval's worth,
 * plus the clicks counted while that flush's UPDATE ran (milliseconds), as long as Postgres is
 * reachable. (While Postgres is down, flushes fail and keep their counts: a crash during an
 * outage loses every click since the outage began.)
 *
 * WHY THE ASSERTION CANNOT FLAKE. A click the service counted was answered after it was counted,
 * so a lost click's 302 reached the test at or after the last committed flush began. The test
 * therefore asserts: lost clicks <= 302s the test received in the last WINDOW_MS before the kill.
 * WINDOW_MS is 5 intervals: one for the bound itself, four for a flush timer that fires late on
 * a loaded 2-core machine (Postgres, Redis, the service and the load share it). The load runs
 * for over twice the window, so the assertion still rules out "flushed only at shutdown" (which
 * would lose the whole second phase). Deterministic checks come with it: clicks confirmed in
 * Postgres before the crash stay, and no click is ever counted twice (Postgres <= 302s served).
 */
const FLUSH_INTERVAL_MS = 200;
const WINDOW_MS = 5 * FLUSH_INTERVAL_MS;
const PHASE_B_MS = 2.5 * WINDOW_MS;

describe('kill -9 of the service (real process)', () => {
  let db: TestDatabase;
  let app: AppProcess | undefined;
  let restarted: AppProcess | undefined;
  const env = () => ({
    DATABASE_URL: db.url,
    REDIS_URL,
    CACHE_KEY_PREFIX: `test:${uniqueId()}`,
    CLICK_FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS),
    RATE_LIMIT_ENABLED: 'false',
  });
  const totalClicks = async () => Number((await db.query<{ n: string }>('SELECT COALESCE(SUM(click_count), 0) AS n FROM links'))[0].n);

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await spawnApp(env());
  });

  afterAll(async () => {
    await ensureStopped(app);
    await ensureStopped(restarted);
    await db?.drop();
  });

  it('loses no link, and no more clicks than were served in the last flush interval(s)', async () => {
    const codes = ['crash-a', 'crash-b', 'crash-c'];
    for (const code of codes) await createLink(app!, `https://${code}.example/`, code);

    // Phase A: clicks reach Postgres by the periodic flush alone (no shutdown involved).
    const phaseA = (await redirectLoad(app!.baseUrl, codes, { workers: 4, maxPerWorker: 150, maxMs: 600, pauseMs: 2 }).done).filter(
      (h) => h.status === 302,
    ).length;
    await waitFor(async () => (await totalClicks()) === phaseA, 5000, 'the periodic flush of phase A');

    // Phase B: redirects and creations, then kill -9 in the middle of it.
    const load = redirectLoad(app!.baseUrl, codes, { workers: 4, maxPerWorker: 5000, maxMs: 20_000, pauseMs: 2, stopOnError: true });
    const creations: ApiResult[] = [];
    let crashed = false;
    const creator = (async () => {
      for (let i = 0; i < 500 && !crashed; i++) {
        const res = await api(app!, 'POST', '/api/links', { url: `https://kept-${i}.example/` });
        creations.push(res);
        if (res.status === 0) return;
        await sleep(20);
      }
    })();
    await sleep(PHASE_B_MS);
    const killedAt = performance.now();
    app!.child.kill('SIGKILL');
    expect(await app!.exited).toBe('SIGKILL');
    crashed = true;
    const [hits] = await Promise.all([load.stop(), creator]);

    const servedB = hits.filter((h) => h.status === 302);
    const served = phaseA + servedB.length;
    const inPostgres = await totalClicks();
    const lost = served - inPostgres;
    const servedInWindow = servedB.filter((h) => h.at >= killedAt - WINDOW_MS).length;
    const summary = `served ${served} (phase B ${servedB.length}), in Postgres ${inPostgres}, lost ${lost}, served in the last ${WINDOW_MS} ms ${servedInWindow}`;

    expect(servedB.length, summary).toBeGreaterThan(servedInWindow); // phase B outlasts the window
    expect(inPostgres, summary).toBeGreaterThanOrEqual(phaseA); // what was written stays written
    expect(lost, summary).toBeGreaterThanOrEqual(0); // never counted twice
    expect(lost, summary).toBeLessThanOrEqual(servedInWindow); // the bound
    console.log(`kill -9: ${summary}`);

    // No link lost: every 201 is in Postgres, with its URL.
    const acknowledged = creations.filter((r) => r.status === 201);
    expect(acknowledged.length).toBeGreaterThan(5);
    const rows = await db.query<{ code: string; url: string }>('SELECT code, url FROM links');
    const stored = new Map(rows.map((r) => [r.code, r.url]));
    for (const res of acknowledged) expect(stored.get(res.body.code)).toBe(res.body.url);

    // The service starts again on the same data and serves every link; the count goes on from Postgres.
    const clicksOfA = async () => Number((await db.query<{ n: string }>(`SELECT click_count AS n FROM links WHERE code = 'crash-a'`))[0].n);
    const beforeRestart = await clicksOfA();
    restarted = await spawnApp(env());
    for (const code of [...codes, ...acknowledged.map((r) => r.body.code as string)]) {
      const h = await hit(restarted.baseUrl, code);
      expect(h.status).toBe(302);
      expect(h.location).toBe(stored.get(code));
    }
    await waitFor(async () => (await clicksOfA()) === beforeRestart + 1, 5000, 'the restarted service to count on from Postgres');
  });
});
