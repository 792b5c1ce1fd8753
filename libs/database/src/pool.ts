import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

export interface PoolStats {
  size: number;
  total: number;
  idle: number;
  waiting: number;
}

/** The `pg` pool behind a TypeORM Postgres data source. */
export function pgPoolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

export function poolStats(dataSource: DataSource): PoolStats {
  const pool = pgPoolOf(dataSource);
  return {
    size: pool.options.max ?? 0,
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  };
}

/**
 * Opens connections until the pool holds `size` of them, then returns them idle.
 * `pg` never opens connections ahead of demand (its `min` only stops idle ones being reaped),
 * so without this the first requests after boot or after a database restart would each pay
 * for a TCP + auth handshake.
 */
export async function warmPool(dataSource: DataSource, size: number): Promise<number> {
  const pool = pgPoolOf(dataSource);
  const missing = Math.max(0, size - pool.totalCount);
  if (missing === 0) return 0;
  // Hold every client at once so the pool must open new ones instead of handing back an idle one.
  const clients = await Promise.allSettled(
    Array.from({ length: size }, () => pool.connect()),
  );
  for (const result of clients) {
    if (result.status === 'fulfilled') result.value.release();
  }
  const failed = clients.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return missing;
}
