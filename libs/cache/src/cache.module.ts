import { CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@linkpool/config';
import { CacheStore } from './cache-store.js';
import { CacheService } from './cache.service.js';
import { InvalidationChannel } from './invalidation-channel.js';

@Module({
  providers: [{ provide: CacheStore, useFactory: (config: AppConfig) => new CacheStore(config.cache), inject: [AppConfig] }],
  exports: [CacheStore],
})
class CacheStoreModule {}

/**
 * Cache-aside over `@nestjs/cache-manager`, on Redis or in process memory (see {@link CacheStore}),
 * with an in-process LRU in front kept coherent across instances by {@link InvalidationChannel}.
 */
@Global()
@Module({
  imports: [
    CacheStoreModule,
    NestCacheModule.registerAsync({
      imports: [CacheStoreModule],
      inject: [CacheStore, AppConfig],
      useFactory: (store: CacheStore, config: AppConfig) => ({
        stores: [store.keyv],
        ttl: config.cache.ttlSeconds * 1000,
      }),
    }),
  ],
  providers: [
    CacheService,
    {
      provide: InvalidationChannel,
      useFactory: (store: CacheStore, config: AppConfig) => new InvalidationChannel(store, config.cache),
      inject: [CacheStore, AppConfig],
    },
  ],
  exports: [CacheService, InvalidationChannel, CacheStoreModule],
})
export class AppCacheModule {}
