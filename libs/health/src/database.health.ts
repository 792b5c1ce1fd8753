import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const PING_TIMEOUT_MS = 2000;

/**
 * `SELECT 1` through the app's own pool. (Terminus' TypeOrmHealthIndicator is not used: it
 * resolves typeorm with import.meta.resolve, which a bundled build cannot answer.)
 */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  check(key = 'database') {
    return this.health
      .check(key)
      .attempt(async () => {
        await this.dataSource.query('SELECT 1');
      })
      .withTimeout(PING_TIMEOUT_MS);
  }
}
