import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { poolStats } from '@linkpool/database';
import { DataSource } from 'typeorm';

/**
 * The connection pool's occupancy. Degraded (not down) when requests queue for a connection:
 * the instance still serves, only slower, and taking it out of rotation would not help.
 */
@Injectable()
export class PoolHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  check(key = 'pool') {
    const session = this.health.check(key);
    const stats = poolStats(this.dataSource);
    return stats.waiting > 0 ? session.degraded({ ...stats }) : session.up({ ...stats });
  }
}
