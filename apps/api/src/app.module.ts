import { type DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { AppCacheModule } from '@linkpool/cache';
import { AppConfig } from '@linkpool/config';
import { DatabaseModule } from '@linkpool/database';
import { HealthModule } from '@linkpool/health';
import { APP_GUARD } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { ApiKey } from './api-keys/api-key.entity.js';
import { ApiKeyGuard } from './api-keys/api-key.guard.js';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { Link } from './links/link.entity.js';
import { LinksModule } from './links/links.module.js';
import { migrations } from './migrations/index.js';
import { RateLimitGuard } from './rate-limit/rate-limit.guard.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';

/** Composes the application; holds no logic of its own. */
@Module({})
export class AppModule {
  /** @param configModule the loaded configuration (see AppConfigModule.load) */
  static forRoot(configModule: DynamicModule): DynamicModule {
    return {
      module: AppModule,
      imports: [
        configModule,
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            pinoHttp: {
              level: config.logLevel,
              // Request logs for the API only: a log line per redirect would cost the hot path dearly.
              autoLogging: { ignore: (req) => !req.url?.startsWith('/api/') },
              redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
              quietReqLogger: true,
            },
            exclude: [{ method: RequestMethod.GET, path: ':code' }],
          }),
        }),
        DatabaseModule.forRoot({ entities: [Link, ApiKey], migrations }),
        AppCacheModule,
        HealthModule,
        ApiKeysModule,
        RateLimitModule,
        LinksModule,
      ],
      providers: [
        // Global guards run in this order: the key is checked first, so limits count per key.
        { provide: APP_GUARD, useExisting: ApiKeyGuard },
        { provide: APP_GUARD, useExisting: RateLimitGuard },
      ],
    };
  }
}
