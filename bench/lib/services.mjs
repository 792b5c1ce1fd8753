// Postgres and Redis for the benchmark: its own database and key prefix, bulk seeding, and the
// counters read before and after each scenario.
import { createClient } from '@keyv/redis';
import pg from 'pg';

export function withDatabase(adminUrl, name) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export class BenchDatabase {
  constructor(adminUrl, name) {
    this.adminUrl = adminUrl;
    this.name = name;
    this.url = withDatabase(adminUrl, name);
  }

  static async create(adminUrl, name) {
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    return new BenchDatabase(adminUrl, name);
  }

  query(sql, params) {
    return withClient(this.url, async (c) => (await c.query(sql, params)).rows);
  }

  /**
   * Inserts `count` links with codes `<prefix>0000000` .. in one statement (generate_series),
   * so a million rows take seconds. The table comes from the app's own migration.
   */
  async seed(prefix, count) {
    if (count <= 0) return;
    await this.query(
      `INSERT INTO links (code, url)
       SELECT $1 || lpad(i::text, 7, '0'), 'https://bench.example/' || $1 || i
         FROM generate_series(0, $2::int - 1) AS i`,
      [prefix, count],
    );
  }

  /**
   * Postgres' own counters for this database. Transactions come from pg_stat_database (read
   * through the admin database, so reading them adds none); index scans of links_code_key are
   * the lookups by code (the redirect path's only query), read on the bench database itself,
   * which adds one transaction per call (see {@link delta}).
   */
  async counters() {
    const [db] = await withClient(this.adminUrl, async (c) =>
      (
        await c.query(
          `SELECT xact_commit + xact_rollback AS xacts FROM pg_stat_database WHERE datname = $1`,
          [this.name],
        )
      ).rows,
    );
    const [table] = await this.query(
      `SELECT (SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'links_code_key') AS lookups,
              n_tup_ins AS inserts, n_tup_upd AS updates
         FROM pg_stat_user_tables WHERE relname = 'links'`,
    );
    return { xacts: Number(db.xacts), lookups: Number(table.lookups), inserts: Number(table.inserts), updates: Number(table.updates) };
  }

  /** `after - before`, less the one transaction the `before` reading itself ran on this database. */
  static delta(before, after) {
    return {
      xacts: after.xacts - before.xacts - 1,
      lookups: after.lookups - before.lookups,
      inserts: after.inserts - before.inserts,
      updates: after.updates - before.updates,
    };
  }

  drop() {
    return withClient(this.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}

export class BenchRedis {
  constructor(url, prefix) {
    this.prefix = prefix;
    this.client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  }

  async connect() {
    await this.client.connect();
    await this.client.ping();
  }

  /** Deletes this run's keys only (SCAN + UNLINK on the prefix); the shared Redis is never flushed. */
  async clearPrefix() {
    let deleted = 0;
    let batch = [];
    for await (const keys of this.client.scanIterator({ MATCH: `${this.prefix}:*`, COUNT: 1000 })) {
      batch.push(...keys);
      if (batch.length >= 1000) {
        deleted += await this.client.unlink(batch);
        batch = [];
      }
    }
    if (batch.length) deleted += await this.client.unlink(batch);
    return deleted;
  }

  /**
   * Writes the cache entries the app itself would write after serving each of `codes` once
   * (key `<prefix>:link:<code>`, Keyv's JSON envelope around the app's LinkTarget), so that
   * scenario (b) measures cached redirects even with a million links, which the app's miss
   * path would take many minutes to load. The rows come from Postgres, in chunks.
   */
  async prefill(db, codePrefix, count, ttlMs) {
    const chunk = 10_000;
    const expires = Date.now() + ttlMs;
    let written = 0;
    for (let start = 0; start < count; start += chunk) {
      const end = Math.min(count, start + chunk);
      const code = (n) => `${codePrefix}${String(n).padStart(7, '0')}`;
      const rows = await db.query(
        `SELECT id::text AS id, code, url, expires_at FROM links WHERE code >= $1 AND code < $2`,
        [code(start), code(end)],
      );
      // Sent in the same tick, node-redis pipelines them into a few writes.
      await Promise.all(
        rows.map((row) =>
          this.client.set(
            `${this.prefix}:link:${row.code}`,
            JSON.stringify({
              value: { id: row.id, url: row.url, expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : null },
              expires,
            }),
            { PX: ttlMs },
          ),
        ),
      );
      written += rows.length;
    }
    return written;
  }

  /** Tells every app instance on this prefix to drop its in-process cache (see InvalidationChannel). */
  dropLocalCaches() {
    return this.client.publish(`${this.prefix}:invalidations`, '*');
  }

  close() {
    return this.client.close();
  }
}
