import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CacheHealthIndicator } from './cache.health.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { HealthController } from './health.controller.js';
import { PoolHealthIndicator } from './pool.health.js';

/** `GET /health/live` and `GET /health/ready`, built from small indicators. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, PoolHealthIndicator, CacheHealthIndicator],
  exports: [DatabaseHealthIndicator, PoolHealthIndicator, CacheHealthIndicator],
})
export class HealthModule {}
