import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '@linkpool/config';
import { CacheStore } from '@linkpool/cache';

/**
 * Redis round trip. A Redis outage reports `degraded`, which keeps readiness at 200: every
 * instance shares the one Redis, so failing readiness on it would take all of them out of
 * rotation at once, while each can still answer from Postgres.
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly store: CacheStore,
    private readonly config: AppConfig,
  ) {}

  async check(key = 'cache') {
    const session = this.health.check(key);
    const info = { store: this.store.kind, location: this.store.description };
    try {
      const latencyMs = await this.store.ping(Math.max(this.config.cache.timeoutMs, 500));
      return session.up({ ...info, latencyMs });
    } catch (error) {
      return session.degraded({ ...info, message: `unreachable: ${(error as Error).message}; serving from Postgres` });
    }
  }
}
