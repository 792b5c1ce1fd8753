import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CacheHealthIndicator } from './cache.health.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { PoolHealthIndicator } from './pool.health.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly pool: PoolHealthIndicator,
    private readonly cache: CacheHealthIndicator,
  ) {}

  /** Liveness: the process runs its event loop. Checks no dependency, so a database outage never gets us restarted. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness probe' })
  live() {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  /** Readiness: 503 when Postgres does not answer; a Redis outage only shows as `degraded`. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness probe' })
  ready() {
    return this.health.check([() => this.database.check(), () => this.pool.check(), () => this.cache.check()]);
  }
}
