import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { pgPoolOf, warmPool } from './pool.js';

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/**
 * Keeps the pool warm after boot: when connections die (Postgres restarted, a network cut,
 * pg_terminate_backend), it reopens them in the background, backing off while Postgres is away,
 * so the first requests after a recovery do not each pay for a new connection.
 */
@Injectable()
export class PoolKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    pgPoolOf(this.dataSource).on('remove', () => this.schedule(FIRST_RETRY_MS));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => void this.rewarm(delayMs), delayMs);
    this.timer.unref();
  }

  private async rewarm(delayMs: number): Promise<void> {
    this.timer = undefined;
    const pool = pgPoolOf(this.dataSource);
    const size = pool.options.max ?? 0;
    if (this.stopped || pool.totalCount >= size) return;
    try {
      const opened = await warmPool(this.dataSource, size);
      if (opened > 0) this.logger.log(`Postgres pool re-warmed: ${opened} connections reopened`);
    } catch {
      this.schedule(Math.min(delayMs * 2, MAX_RETRY_MS));
    }
  }
}
