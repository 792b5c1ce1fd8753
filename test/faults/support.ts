import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@keyv/redis';
import pg from 'pg';
import type { AppProcess } from '../support/process.js';
import { TEST_API_KEY, freePort, sleep } from '../support/services.js';

/** Headers for every /api call against a spawned app (API keys are about to be required). */
export const JSON_API_HEADERS = { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY } as const;

export interface ApiResult {
  status: number;
  body: any;
  ms: number;
  headers: Headers;
}

/** One call to the API of a spawned app; network failures come back as status 0. */
export async function api(app: AppProcess, method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<ApiResult> {
  const started = performance.now();
  try {
    const res = await fetch(`${app.baseUrl}${path}`, {
      method,
      // No content-type without a body: Fastify refuses an empty body declared as JSON.
      headers: body === undefined ? { 'x-api-key': TEST_API_KEY } : JSON_API_HEADERS,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: kept as text */
    }
    return { status: res.status, body: parsed, ms: performance.now() - started, headers: res.headers };
  } catch (error) {
    return { status: 0, body: (error as Error).message, ms: performance.now() - started, headers: new Headers() };
  }
}

/** Creates a link and insists on the 201. */
export async function createLink(app: AppProcess, url: string, alias?: string): Promise<string> {
  const res = await api(app, 'POST', '/api/links', alias ? { url, alias } : { url });
  if (res.status !== 201) throw new Error(`creating ${alias ?? url} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.code as string;
}

export async function readiness(app: AppProcess): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(`${app.baseUrl}/health/ready`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: await res.json() };
  } catch (error) {
    return { status: 0, body: { error: (error as Error).message } };
  }
}

/** One redirect as a browser would send it (no following), timed. */
export interface Hit {
  code: string;
  status: number;
  location: string | null;
  /** How long the request took, in ms. */
  ms: number;
  /** performance.now() when the response arrived (or the request failed). */
  at: number;
  error?: string;
}

export async function hit(baseUrl: string, code: string, timeoutMs = 15_000): Promise<Hit> {
  const started = performance.now();
  try {
    const res = await fetch(`${baseUrl}/${code}`, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    const at = performance.now();
    return { code, status: res.status, location: res.headers.get('location'), ms: at - started, at };
  } catch (error) {
    const at = performance.now();
    return { code, status: 0, location: null, ms: at - started, at, error: (error as Error).message };
  }
}

export interface Load {
  hits: Hit[];
  /** Stops the workers and resolves once every request in flight has settled. */
  stop(): Promise<Hit[]>;
  /** Resolves when the workers end by themselves (count or time limit, or `stop`). */
  done: Promise<Hit[]>;
}

/**
 * Bounded redirect load: `workers` loops, each at most `maxPerWorker` requests and at most
 * `maxMs` long, with `pauseMs` between requests so the app (on the same 2 cores) keeps room.
 */
export function redirectLoad(
  baseUrl: string,
  codes: string[],
  { workers = 6, maxPerWorker = 2000, maxMs = 20_000, pauseMs = 2, stopOnError = false } = {},
): Load {
  const hits: Hit[] = [];
  let stopped = false;
  const deadline = performance.now() + maxMs;
  const worker = async (w: number) => {
    for (let i = 0; i < maxPerWorker && !stopped && performance.now() < deadline; i++) {
      const h = await hit(baseUrl, codes[(w + i) % codes.length]);
      hits.push(h);
      if (stopOnError && h.status === 0) return;
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w))).then(() => hits);
  return {
    hits,
    done,
    stop: async () => {
      stopped = true;
      return done;
    },
  };
}

export const countBy = <T>(items: T[], key: (item: T) => string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

/** Reads one key of a Redis (the app's keys are `<CACHE_KEY_PREFIX>:link:<code>`). */
export async function redisGet(url: string, key: string): Promise<string | null> {
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
  await client.connect();
  try {
    return await client.get(key);
  } finally {
    await client.close();
  }
}

export async function redisCommand(url: string, args: string[]): Promise<unknown> {
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    await client.close();
  }
}

/** Ends a spawned app that a test left running (afterAll, also after a failure). */
export async function ensureStopped(app: AppProcess | undefined): Promise<void> {
  if (!app || app.child.exitCode !== null || app.child.signalCode !== null) return;
  app.child.kill('SIGKILL');
  await app.exited;
}

function postgresBinDir(): string {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    const root = '/usr/lib/postgresql';
    const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
    return join(root, version, 'bin');
  }
}

/**
 * A PostgreSQL cluster of the test's own (initdb into a temporary folder, its own port and
 * socket folder), so a test can really stop and start Postgres without touching the shared one.
 * As root the server runs as the `postgres` user (Postgres refuses to run as root).
 * `destroy()` stops it (immediate) and removes its folder; a process `exit` hook does the same
 * if the test process ends without afterAll.
 */
export class PrivatePostgres {
  private running = false;
  private readonly exitHook = () => this.destroySync();

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly asUser: string | undefined,
  ) {
    process.once('exit', this.exitHook);
  }

  static async create(): Promise<PrivatePostgres> {
    const asRoot = process.getuid?.() === 0;
    const dir = mkdtempSync(join(tmpdir(), 'linkpool-pg-'));
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    const cluster = new PrivatePostgres(dir, await freePort(), postgresBinDir(), asRoot ? 'postgres' : undefined);
    try {
      cluster.run('initdb', ['-D', cluster.dataDir, '-U', 'postgres', '-A', 'trust', '-N', '-E', 'UTF8', '--locale=C']);
      await cluster.start();
    } catch (error) {
      cluster.destroySync();
      throw error;
    }
    return cluster;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    // fsync off: the machine does not crash in these tests, only the server process stops,
    // and the kernel keeps what it wrote. synchronous_commit stays on: a commit is in the WAL.
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c max_connections=50',
      '-c shared_buffers=16MB',
    ].join(' ');
    this.run('pg_ctl', ['-D', this.dataDir, '-l', join(this.dir, 'server.log'), '-w', '-t', '30', '-o', options, 'start']);
    this.running = true;
  }

  /** `fast`: what an operator's restart does (sessions are terminated, then a clean stop). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
    this.running = false;
  }

  async query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database = 'postgres'): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url(database), connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async destroy(): Promise<void> {
    this.destroySync();
    // Give the kernel a moment to release the port before the next test takes a free one.
    await sleep(10);
  }

  private destroySync(): void {
    process.removeListener('exit', this.exitHook);
    if (this.running || existsSync(join(this.dataDir, 'postmaster.pid'))) {
      this.running = false;
      const [cmd, args] = this.command('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop']);
      spawnSync(cmd, args, { stdio: 'ignore' });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const path = join(this.bin, tool);
    return this.asUser ? ['runuser', ['-u', this.asUser, '--', path, ...args]] : [path, args];
  }

  private run(tool: string, args: string[]): void {
    const [cmd, argv] = this.command(tool, args);
    const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) {
      throw new Error(`${tool} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
    }
  }
}
