#!/usr/bin/env node
// `npm run bench`: linkpool against the bare node:http ceiling, in one run, against real
// Postgres and Redis. See docs/performance.md for what it measures and the figures.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LoadGenerator, hasCommand } from './lib/load.mjs';
import { RssSampler, Server, freePort, killAll, sleep } from './lib/procs.mjs';
import { median, table, targetsTable } from './lib/report.mjs';
import { BenchDatabase, BenchRedis } from './lib/services.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
const STATS_SETTLE_MS = 11_000;
/** Lifetime of the Redis entries the benchmark writes for (a)/(b): longer than any run. */
const PREFILL_TTL_MS = 3_600_000;

const HELP = `Usage: npm run bench -- [options]

  --links N            links seeded and redirected to (default 10000; 1000000 for the scale check)
  --duration S         measured seconds per scenario (default 10)
  --warmup S           warm-up seconds before each measurement (default 3)
  --connections N      concurrent connections of the load generator (default 50)
  --rounds N           repeat the baseline/(a)/(b) pairs N times and report medians (default 1)
  --compare-links N    also run (b) over only the first N codes, for the scale check
                       (default 10000 when --links is larger, else off; 0 turns it off)
  --cold-links N       links kept apart for the cache-miss scenario (c), each requested once (default 200000)
  --unknown N          distinct unknown codes in the flood (d) (default 1000)
  --pool-connections N connections for the pool scenario (f) (default 10)
  --audit N            requests of the exact click audit (default 20000)
  --scenarios LIST     subset of a,b,c,d,e,f (default all)
  --quick              smoke run: 2000 links, 2 s per scenario, 1 s warm-up, small pools
  --load TOOL          wrk | autocannon | auto (default auto: wrk if installed)
  --no-pin             do not pin load generator and servers to separate CPUs
  --skip-build         use the existing dist/apps/api instead of running \`nest build api\`
  --node-options OPTS  NODE_OPTIONS for the app process, e.g. "--max-old-space-size=128" (default none)
  --app-env K=V        an extra environment variable for the app (repeatable), e.g. CACHE_LOCAL_TTL_MS=30000
  --keep               keep the benchmark database and Redis keys (for debugging)
  --out FILE           where to write the JSON (default bench/results/bench-<time>.json)

Environment: BENCH_DATABASE_URL (a database the run may CREATE DATABASE from; default
postgres://postgres@127.0.0.1:5432/postgres), BENCH_REDIS_URL (default redis://127.0.0.1:6379).`;

function options() {
  const { values } = parseArgs({
    options: {
      links: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      'compare-links': { type: 'string' },
      'cold-links': { type: 'string' },
      unknown: { type: 'string' },
      'pool-connections': { type: 'string' },
      audit: { type: 'string' },
      scenarios: { type: 'string' },
      quick: { type: 'boolean' },
      load: { type: 'string' },
      'no-pin': { type: 'boolean' },
      'skip-build': { type: 'boolean' },
      keep: { type: 'boolean' },
      'node-options': { type: 'string' },
      'app-env': { type: 'string', multiple: true },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = Boolean(values.quick);
  const int = (name, fallback, min = 0) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const links = int('links', quick ? 2000 : 10_000, 1);
  if (links > 9_999_999) throw new Error('--links must be at most 9999999 (codes are b + 7 digits)');
  const scenarios = (values.scenarios ?? 'a,b,c,d,e,f').split(',').map((s) => s.trim().toLowerCase());
  for (const s of scenarios) if (!'abcdef'.includes(s) || s.length !== 1) throw new Error(`unknown scenario "${s}"`);
  return {
    links,
    duration: int('duration', quick ? 2 : 10, 1),
    warmup: int('warmup', quick ? 1 : 3, 0),
    connections: int('connections', 50, 1),
    rounds: int('rounds', 1, 1),
    compareLinks: Math.min(int('compare-links', links > 10_000 ? 10_000 : 0), links - 1),
    coldLinks: int('cold-links', quick ? 20_000 : 200_000, 1),
    unknown: int('unknown', quick ? 200 : 1000, 1),
    poolConnections: int('pool-connections', 10, 1),
    audit: int('audit', quick ? 2000 : 20_000, 0),
    scenarios: new Set(scenarios),
    quick,
    load: values.load ?? 'auto',
    pin: !values['no-pin'] && hasCommand('taskset') && os.cpus().length >= 2,
    build: !values['skip-build'],
    keep: Boolean(values.keep),
    nodeOptions: values['node-options'],
    appEnv: Object.fromEntries(
      (values['app-env'] ?? []).map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`--app-env must be KEY=VALUE, got "${pair}"`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
    out: values.out,
  };
}

const log = (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** A production build of the app, copied aside so a concurrent `nest build` cannot swap it mid-run. */
function buildApp(build, runId) {
  const dist = join(ROOT, 'dist', 'apps', 'api');
  if (build) {
    log('building the app (npx nest build api)');
    execFileSync('npx', ['nest', 'build', 'api'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (!existsSync(join(dist, 'main.js'))) throw new Error(`${dist}/main.js is missing: run without --skip-build`);
  const copy = join(RESULTS, `.build-${runId}`);
  mkdirSync(copy, { recursive: true });
  cpSync(dist, copy, { recursive: true });
  return copy;
}

function gitCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

/** Exactly `total` GET /<code> requests over `codes`, `concurrency` at a time; counts answers by status. */
async function exactRequests(baseUrl, codes, total, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = {};
  let next = 0;
  const one = (path) =>
    new Promise((resolveOne) => {
      const req = http.get(`${baseUrl}${path}`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolveOne(res.statusCode));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => resolveOne('error'));
    });
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const status = await one(`/${codes[i % codes.length]}`);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return statuses;
}

async function main() {
  const opts = options();
  const runId = `${Date.now().toString(36)}_${process.pid}`;
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const keyPrefix = `bench:${runId}`;
  const loadPin = opts.pin ? '0' : undefined;
  const serverPin = opts.pin ? '1' : undefined;
  const load = LoadGenerator.detect(opts.load, loadPin);
  mkdirSync(RESULTS, { recursive: true });

  log(
    `links ${opts.links}, ${opts.warmup} s warm-up + ${opts.duration} s per scenario, ${opts.connections} connections, ` +
      `load: ${load.tool}${opts.pin ? ' on CPU 0, servers on CPU 1' : ' (not pinned)'}, rounds ${opts.rounds}`,
  );

  const cleanups = [];
  const cleanup = async () => {
    killAll();
    for (const fn of cleanups.reverse()) await fn().catch((error) => log(`cleanup: ${error.message}`));
    cleanups.length = 0;
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const redis = new BenchRedis(redisUrl, keyPrefix);
    await redis.connect().catch((error) => {
      throw new Error(`Redis is not reachable at ${redisUrl} (set BENCH_REDIS_URL): ${error.message}`);
    });
    cleanups.push(async () => {
      if (!opts.keep) await redis.clearPrefix();
      await redis.close();
    });

    const buildDir = buildApp(opts.build, runId);
    cleanups.push(async () => rmSync(buildDir, { recursive: true, force: true }));
    const mainJs = join(buildDir, 'main.js');

    const dbName = `linkpool_bench_${runId}`;
    const db = await BenchDatabase.create(adminUrl, dbName).catch((error) => {
      throw new Error(`cannot create a database on ${adminUrl} (set BENCH_DATABASE_URL): ${error.message}`);
    });
    cleanups.push(async () => {
      if (!opts.keep) await db.drop();
      else log(`kept database ${dbName} and Redis prefix ${keyPrefix}`);
    });

    const apiKey = `bench_${randomBytes(24).toString('hex')}`;
    const appPort = await freePort();
    const appUrl = `http://127.0.0.1:${appPort}`;
    const appEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: String(appPort),
      HOST: '127.0.0.1',
      BASE_URL: appUrl,
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      CACHE_KEY_PREFIX: keyPrefix,
      // The API needs a key (x-api-key) where API keys exist; creation (e) must not hit the rate limit.
      API_KEYS: apiKey,
      RATE_LIMIT_CREATE_PER_KEY: '1000000',
      RATE_LIMIT_API_PER_KEY: '1000000',
      ...(opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {}),
      ...opts.appEnv,
    };
    const startApp = () => new Server('linkpool', [mainJs], { env: appEnv, pin: serverPin, cwd: ROOT });

    // First boot creates the schema (migrations); the measured boot is the second, as in production.
    log(`database ${dbName}: migrating`);
    let app = startApp();
    await app.waitReady(`${appUrl}/health/ready`);
    await app.stop();

    const auditCodes = Array.from({ length: 100 }, (_, i) => `a${String(i).padStart(7, '0')}`);
    const seedStarted = performance.now();
    await db.seed('b', opts.links);
    const coldLinks = opts.scenarios.has('c') ? opts.coldLinks : 0;
    await db.seed('c', coldLinks);
    await db.seed('a', auditCodes.length);
    await db.query('ANALYZE links');
    const seedMs = performance.now() - seedStarted;
    log(`seeded ${opts.links} + ${coldLinks} cold + ${auditCodes.length} audit links in ${(seedMs / 1000).toFixed(1)} s`);

    app = startApp();
    // The app's own log (warnings and errors only) is kept beside the results, also when the run fails.
    const appLog = join(RESULTS, `app-${runId}.log`);
    cleanups.push(async () => writeFileSync(appLog, app.output));
    const bootMs = await app.waitReady(`${appUrl}/health/ready`);
    const bootCpuMs = app.cpuMs();
    log(`app ready in ${bootMs.toFixed(0)} ms, ${bootCpuMs} ms of CPU (pid ${app.pid})`);
    const rss = new RssSampler(app);
    cleanups.push(async () => rss.stop());

    const basePort = await freePort();
    const baseUrl = `http://127.0.0.1:${basePort}`;
    const baseline = new Server('baseline', [join(ROOT, 'bench', 'servers', 'baseline.mjs')], {
      env: { PATH: process.env.PATH, PORT: String(basePort), BENCH_LINKS: String(opts.links) },
      pin: serverPin,
    });
    // For scale: how long a bare Node process takes to start and listen on this machine right now.
    const baselineStartMs = await baseline.waitForLine('ready');

    // Cached redirects are measured with the cache warm: Redis holds every link, as after traffic.
    let prefillMs;
    let checkRedirects = 0;
    if (opts.scenarios.has('a') || opts.scenarios.has('b')) {
      const started = performance.now();
      const written = await redis.prefill(db, 'b', opts.links, PREFILL_TTL_MS);
      prefillMs = performance.now() - started;
      log(`Redis pre-filled with ${written} links in ${(prefillMs / 1000).toFixed(1)} s`);
      // The app must read those entries as its own: same answer as from Postgres, no lookup.
      for (const n of [0, Math.floor(opts.links / 2), opts.links - 1]) {
        const code = `b${String(n).padStart(7, '0')}`;
        const res = await fetch(`${appUrl}/${code}`, { redirect: 'manual' });
        const expected = `https://bench.example/b${n}`;
        if (res.status !== 302 || res.headers.get('location') !== expected) {
          throw new Error(`pre-filled /${code} answered ${res.status} ${res.headers.get('location')}, expected 302 ${expected}`);
        }
        checkRedirects++;
      }
    }

    const rows = [];
    const appRedirects = []; // 302s the load generator saw from the app, warm-ups included
    const connections = opts.connections;

    /**
     * Warm-up then measurement of one load, with Postgres' counters around both when `pg` is set.
     * A backend reports its statistics at most once a second, and when it goes idle right after
     * a report, only PGSTAT_IDLE_INTERVAL (10 s) later: the counters are read 11 s after the
     * load stops. `during` (a baseline measurement, which leaves Postgres alone) uses that wait.
     */
    const measure = async (label, spec, { server, pg = false, countRedirects = false, during } = {}) => {
      log(`${label}`);
      const before = pg ? await db.counters() : undefined;
      let warm;
      if (opts.warmup > 0) warm = await load.run({ ...spec, duration: opts.warmup, connections: spec.connections ?? connections });
      const offset = spec.mode === 'sequential' ? (spec.offset ?? 0) + (warm?.generated ?? 0) : spec.offset;
      if (server === app) rss.reset();
      const result = await load.run({ ...spec, offset, duration: opts.duration, connections: spec.connections ?? connections });
      const peakRss = server === app ? Math.max(rss.max, app.rss()) : undefined;
      if (countRedirects) appRedirects.push((warm?.redirects ?? 0) + result.redirects);
      const settleUntil = performance.now() + STATS_SETTLE_MS;
      if (during) await during();
      let delta;
      if (pg) {
        await sleep(Math.max(0, settleUntil - performance.now()));
        delta = BenchDatabase.delta(before, await db.counters());
      }
      const total = (warm?.requests ?? 0) + result.requests;
      return {
        label,
        ...result,
        errors: result.socketErrors + result.statusErrors,
        peakRss,
        pg: delta,
        totalRequests: total,
        generatedTotal: (warm?.generated ?? 0) + result.generated,
        seconds: opts.warmup + opts.duration,
      };
    };

    const hot = 'b0000000';
    const rounds = [];
    for (let round = 1; round <= opts.rounds; round++) {
      const tag = opts.rounds > 1 ? ` #${round}` : '';
      const r = {};
      const baseRandom = async () => {
        r.baseRandom = await measure(`baseline: bare node:http, random of ${opts.links}${tag}`, {
          url: baseUrl,
          mode: 'random',
          prefix: 'b',
          count: opts.links,
        });
      };
      const baseCompare = async () => {
        r.baseCompare = await measure(`baseline: bare node:http, random of ${opts.compareLinks}${tag}`, {
          url: baseUrl,
          mode: 'random',
          prefix: 'b',
          count: opts.compareLinks,
        });
      };
      const withB = opts.scenarios.has('b');
      const withCompare = withB && opts.compareLinks > 0;
      if (opts.scenarios.has('a')) {
        r.baseHot = await measure(`baseline: bare node:http, one code${tag}`, { url: `${baseUrl}/${hot}`, mode: 'fixed' });
        r.a = await measure(
          `(a) one hot code${tag}`,
          { url: `${appUrl}/${hot}`, mode: 'fixed' },
          { server: app, pg: true, countRedirects: true, during: withB ? baseRandom : undefined },
        );
        r.a.ratio = r.a.rps / r.baseHot.rps;
      }
      if (withB) {
        if (!r.baseRandom) await baseRandom();
        r.b = await measure(
          `(b) random of ${opts.links} links${tag}`,
          { url: appUrl, mode: 'random', prefix: 'b', count: opts.links },
          { server: app, pg: true, countRedirects: true, during: withCompare ? baseCompare : undefined },
        );
        r.b.ratio = r.b.rps / r.baseRandom.rps;
      }
      if (withCompare) {
        r.bCompare = await measure(
          `(b) random of the first ${opts.compareLinks} links${tag}`,
          { url: appUrl, mode: 'random', prefix: 'b', count: opts.compareLinks },
          { server: app, pg: true, countRedirects: true },
        );
        r.bCompare.ratio = r.bCompare.rps / r.baseCompare.rps;
      }
      rounds.push(r);
      for (const key of ['baseHot', 'a', 'baseRandom', 'b', 'baseCompare', 'bCompare']) if (r[key]) rows.push(r[key]);
    }
    const pick = (key) => rounds.map((r) => r[key]).filter(Boolean);
    const baseHotRps = median(pick('baseHot').map((r) => r.rps)) ?? (await (async () => {
      const r = await measure('baseline: bare node:http, one code', { url: `${baseUrl}/${hot}`, mode: 'fixed' });
      rows.push(r);
      return r.rps;
    })());

    let c;
    if (opts.scenarios.has('c')) {
      // Every request a miss on both cache levels: Redis keys of this run deleted, local caches
      // dropped through the invalidation channel, and each cold code requested once.
      const deleted = await redis.clearPrefix();
      await redis.dropLocalCaches();
      await sleep(200);
      c = await measure(
        `(c) cache miss: each of ${coldLinks} cold links once (Redis emptied: ${deleted} keys)`,
        { url: appUrl, mode: 'sequential', prefix: 'c', count: coldLinks, offset: 0 },
        { server: app, pg: true, countRedirects: true },
      );
      c.ratio = c.rps / baseHotRps;
      c.wrapped = c.generatedTotal > coldLinks;
      c.note = `${(c.pg.lookups / c.totalRequests).toFixed(2)} lookups/request${c.wrapped ? '; WRAPPED: raise --cold-links' : ''}`;
      rows.push(c);
    }

    let d;
    if (opts.scenarios.has('d')) {
      d = await measure(
        `(d) flood of ${opts.unknown} unknown codes`,
        { url: appUrl, mode: 'random', prefix: 'u', count: opts.unknown, expect: 404 },
        { server: app, pg: true },
      );
      d.ratio = d.rps / baseHotRps;
      const seconds = opts.warmup + opts.duration;
      d.bound = opts.unknown * (Math.floor(seconds / 10) + 1); // CACHE_NEGATIVE_TTL_SECONDS default: 10
      d.note = `404s; ${d.pg.lookups} lookups for ${d.totalRequests} requests (bound ${d.bound})`;
      rows.push(d);
    }

    let e;
    if (opts.scenarios.has('e')) {
      e = await measure(
        '(e) link creation (POST /api/links)',
        { url: `${appUrl}/api/links`, mode: 'post', body: JSON.stringify({ url: 'https://bench.example/created' }), apiKey, expect: 201 },
        { server: app, pg: true },
      );
      e.ratio = e.rps / baseHotRps;
      e.note = `${e.pg.inserts} rows inserted`;
      rows.push(e);
    }

    let fPool;
    let fConnect;
    if (opts.scenarios.has('f')) {
      for (const mode of ['pool', 'connect']) {
        const port = await freePort();
        const server = new Server(`pool-${mode}`, [join(ROOT, 'bench', 'servers', 'pool.mjs')], {
          env: { PATH: process.env.PATH, PORT: String(port), DATABASE_URL: db.url, MODE: mode, POOL_SIZE: '10' },
          pin: serverPin,
        });
        await server.waitForLine('ready');
        const row = await measure(
          mode === 'pool'
            ? `(f) SELECT per request, warm pg.Pool (${opts.poolConnections} conns)`
            : `(f) SELECT per request, connect per request (${opts.poolConnections} conns)`,
          { url: `http://127.0.0.1:${port}`, mode: 'random', prefix: 'b', count: opts.links, connections: opts.poolConnections },
          { pg: true },
        );
        row.ratio = row.rps / baseHotRps;
        row.note = 'bench-only server (bench/servers/pool.mjs)';
        await server.stop();
        rows.push(row);
        if (mode === 'pool') fPool = row;
        else fConnect = row;
      }
    }

    // The exact click audit: a known number of redirects, every answer seen.
    let audit;
    if (opts.audit > 0) {
      log(`click audit: exactly ${opts.audit} redirects over ${auditCodes.length} codes`);
      audit = await exactRequests(appUrl, auditCodes, opts.audit, connections);
    }
    const appPeakRss = app.peakRss();
    const appRssMax = Math.max(rss.max, ...rows.map((r) => r.peakRss ?? 0));
    rss.stop();
    await baseline.stop();
    log('stopping the app (SIGTERM: drains, flushes clicks)');
    const exitCode = await app.stop();

    const [sums] = await db.query(
      `SELECT coalesce(sum(click_count) FILTER (WHERE code LIKE 'a%'), 0)::bigint AS audit,
              coalesce(sum(click_count) FILTER (WHERE code LIKE 'b%' OR code LIKE 'c%'), 0)::bigint AS load
         FROM links`,
    );
    const auditServed = audit?.['302'] ?? 0;
    const loadServed = appRedirects.reduce((a, b) => a + b, checkRedirects);
    const loadRuns = appRedirects.length * 2; // warm-up and measurement
    const clicks = {
      auditRequests: opts.audit,
      auditStatuses: audit,
      audit302: auditServed,
      auditClicks: Number(sums.audit),
      auditExact: Number(sums.audit) === auditServed && auditServed === opts.audit,
      load302Seen: loadServed,
      loadClicks: Number(sums.load),
      loadDifference: Number(sums.load) - loadServed,
      loadInFlightBound: loadRuns * connections,
      appExitCode: exitCode,
    };
    // wrk stops with up to `connections` requests in flight: the app served and counted them, wrk never read them.
    clicks.loadConsistent = clicks.loadDifference >= 0 && clicks.loadDifference <= clicks.loadInFlightBound;

    // ---- targets ----
    const targets = [];
    const a = pick('a');
    const b = pick('b');
    const bCompare = pick('bCompare');
    const cached = (name, list) => {
      if (list.length === 0) return;
      const ratio = median(list.map((r) => r.ratio));
      const p99 = median(list.map((r) => r.p99Ms));
      const errors = list.reduce((s, r) => s + r.errors, 0);
      targets.push({
        name: `${name}: >= 0.7x baseline, p99 <= 10 ms, 0 errors`,
        met: ratio >= 0.7 && p99 <= 10 && errors === 0,
        detail: `${ratio.toFixed(2)}x, p99 ${p99.toFixed(2)} ms, ${errors} errors`,
      });
    };
    cached('(a) hot code', a);
    cached('(b) random codes', b);
    if (c) targets.push({ name: '(c) cache miss: >= 0.25x baseline', met: c.ratio >= 0.25 && !c.wrapped, detail: `${c.ratio.toFixed(2)}x (${c.rps.toFixed(0)} req/s, ${c.note})` });
    if (d) targets.push({ name: '(d) unknown flood: <= 1 Postgres query per unknown code per negative TTL', met: d.pg.lookups <= d.bound && d.errors === 0, detail: `${d.pg.lookups} lookups <= ${d.bound} (${opts.unknown} codes, ${opts.warmup + opts.duration} s, TTL 10 s)` });
    if (fPool && fConnect) {
      const factor = fConnect.p50Ms / fPool.p50Ms;
      targets.push({ name: '(f) warm pool p50 >= 5x lower than connect-per-request', met: factor >= 5, detail: `${fPool.p50Ms.toFixed(2)} ms vs ${fConnect.p50Ms.toFixed(2)} ms: ${factor.toFixed(1)}x` });
    }
    if (a.length) {
      // Without a write per redirect, the transactions during (a) are the click flushes (one a
      // second at most) whatever the number of redirects.
      const worst = a.reduce((w, r) => (r.pg.xacts > w.pg.xacts ? r : w));
      const flushes = Math.ceil(worst.seconds + STATS_SETTLE_MS / 1000) + 2;
      targets.push({
        name: 'no database write on the request path',
        met: worst.pg.xacts <= flushes,
        detail: `${worst.pg.xacts} Postgres transactions during (a) for ${worst.totalRequests} redirects (at most ${flushes} click flushes)`,
      });
    }
    if (audit) targets.push({ name: 'clicks exact after the flush', met: clicks.auditExact && clicks.loadConsistent, detail: `audit ${clicks.auditClicks} clicks for ${clicks.audit302} 302s of ${opts.audit} requests; load ${clicks.loadClicks} clicks for ${clicks.load302Seen} 302s seen (+${clicks.loadDifference} in flight at wrk's cut-off, bound ${clicks.loadInFlightBound})` });
    targets.push({ name: 'peak RSS of the app < 250 MB', met: appRssMax < 250 * 1024 * 1024, detail: `${(appRssMax / 1048576).toFixed(0)} MB sampled, VmHWM ${(appPeakRss / 1048576).toFixed(0)} MB` });
    targets.push({
      name: 'boot to ready < 1.5 s (real Postgres and Redis)',
      met: bootMs < 1500,
      detail: `${bootMs.toFixed(0)} ms from spawn to /health/ready 200 (${bootCpuMs} ms of CPU; the bare baseline server took ${baselineStartMs.toFixed(0)} ms to listen)`,
    });
    if (bCompare.length && b.length) {
      const rel = median(b.map((r) => r.ratio)) / median(bCompare.map((r) => r.ratio));
      targets.push({ name: `scale: (b) over ${opts.links} links within 15% of (b) over ${opts.compareLinks}`, met: rel >= 0.85, detail: `${(100 * rel).toFixed(0)}% (ratios to the baseline with the same load: ${median(b.map((r) => r.ratio)).toFixed(2)}x vs ${median(bCompare.map((r) => r.ratio)).toFixed(2)}x)` });
    }

    const meta = {
      date: new Date().toISOString(),
      commit: gitCommit(),
      node: process.version,
      cpus: os.cpus().length,
      loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
      tool: load.tool,
      pinned: opts.pin,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      options: { ...opts, scenarios: [...opts.scenarios] },
      bootMs,
      bootCpuMs,
      baselineStartMs,
      seedMs,
      prefillMs,
    };
    console.log('');
    console.log(`linkpool benchmark — ${meta.date}, commit ${meta.commit}, node ${meta.node}, ${meta.cpus} CPUs, load ${load.tool}${opts.pin ? ' (CPU 0) vs servers (CPU 1)' : ''}`);
    if (opts.nodeOptions) console.log(`app started with NODE_OPTIONS="${opts.nodeOptions}"`);
    if (Object.keys(opts.appEnv).length) console.log(`app started with ${Object.entries(opts.appEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    console.log(`${opts.links} links, ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.duration} s each; boot to ready ${bootMs.toFixed(0)} ms (${bootCpuMs} ms CPU); load average ${meta.loadavg.join(' ')}`);
    console.log('');
    console.log(table(rows));
    console.log('');
    console.log(targetsTable(targets));
    const out = opts.out ? resolve(opts.out) : join(RESULTS, `bench-${meta.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(out, `${JSON.stringify({ meta, rows, clicks, targets }, null, 2)}\n`);
    console.log('');
    console.log(`JSON: ${relative(process.cwd(), out)}; the app's log: ${relative(process.cwd(), appLog)}`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench failed: ${error.stack ?? error.message}`);
    killAll();
    process.exit(1);
  },
);
