import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions } from 'light-my-request';
import { type AppConfig, AppConfigModule } from '@linkpool/config';
import { createApp } from '../../apps/api/src/app.factory.js';
import { REDIS_URL, TEST_API_KEY, uniqueId } from './services.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /**
   * An HTTP request through Fastify's injector (no socket, same code path as a real request),
   * sending `x-api-key: TEST_API_KEY` unless the call sets that header (`undefined` sends none).
   */
  request: (options: InjectOptions | string) => ReturnType<NestFastifyApplication['inject']>;
  /** The same, with exactly the headers given. */
  rawRequest: (options: InjectOptions | string) => ReturnType<NestFastifyApplication['inject']>;
  close(): Promise<void>;
}

/**
 * Boots the real application (real Postgres, real Redis unless told otherwise) with `env`
 * laid over test defaults. `.env` is ignored so the machine's own settings do not leak in.
 */
export async function startTestApp(env: Record<string, string | undefined>): Promise<TestApp> {
  const loaded = await AppConfigModule.load({
    ignoreEnvFile: true,
    env: {
      LOG_LEVEL: 'error',
      // Vitest exports Vite's BASE_URL=/ into process.env; the app would read it.
      BASE_URL: 'http://localhost:3000',
      REDIS_URL,
      CACHE_KEY_PREFIX: `test:${uniqueId()}`,
      DB_POOL_SIZE: '4',
      API_KEYS: TEST_API_KEY,
      ...env,
    },
  });
  const app = await createApp(loaded);
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config: loaded.config,
    request: (options) => app.inject(withApiKey(options)),
    rawRequest: (options) => app.inject(typeof options === 'string' ? { url: options } : options),
    close: () => app.close(),
  };
}

/** `options` with the test API key added, and headers set to `undefined` removed. */
function withApiKey(options: InjectOptions | string): InjectOptions {
  const opts = typeof options === 'string' ? { url: options } : options;
  const headers = Object.fromEntries(
    Object.entries({ 'x-api-key': TEST_API_KEY, ...opts.headers }).filter(([, value]) => value !== undefined),
  ) as InjectOptions['headers'];
  return { ...opts, headers };
}
