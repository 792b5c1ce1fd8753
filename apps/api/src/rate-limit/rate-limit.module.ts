import { Module } from '@nestjs/common';
import { CacheStore } from '@linkpool/cache';
import { AppConfig } from '@linkpool/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';
import { buildThrottlers } from './throttlers.js';

@Module({
  providers: [
    { provide: RedisThrottlerStorage, useFactory: (store: CacheStore, config: AppConfig) => new RedisThrottlerStorage(store, config), inject: [CacheStore, AppConfig] },
  ],
  exports: [RedisThrottlerStorage],
})
class RateLimitStorageModule {}

/** Rate limits on the API (see throttlers.ts), counted in Redis; {@link RateLimitGuard} is installed globally by AppModule. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RedisThrottlerStorage],
      useFactory: (config: AppConfig, storage: RedisThrottlerStorage) => ({
        throttlers: buildThrottlers(config.rateLimit),
        storage,
      }),
    }),
  ],
  providers: [RateLimitGuard],
  exports: [RateLimitGuard],
})
export class RateLimitModule {}
