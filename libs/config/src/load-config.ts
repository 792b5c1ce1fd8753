import { plainToInstance } from 'class-transformer';
import { type ValidationError, validateSync } from 'class-validator';
import { resolve } from 'node:path';
import { AppConfig, type LogLevel } from './app-config.js';
import { Environment } from './environment.js';
import { parseApiKeys, parseCorsOrigins, parseTrustProxy } from './security-rules.js';

/** Thrown at boot when the environment does not describe a valid configuration. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Variables whose values never appear in an error message (boot errors are printed and logged). */
const SECRET_VARIABLES = new Set(['API_KEYS', 'DB_PASSWORD', 'REDIS_PASSWORD']);

const describe = (error: ValidationError): string[] =>
  Object.values(error.constraints ?? {}).map((message) => {
    if (SECRET_VARIABLES.has(error.property)) return `${message} (value not shown: it is a secret)`;
    const shown = typeof error.value === 'string' ? JSON.stringify(error.value) : String(error.value);
    return `${message} (got ${shown})`;
  });

/**
 * Validates raw environment variables and turns them into the one typed {@link AppConfig}.
 * Every problem is reported at once, each naming its variable and the rule it broke.
 */
export function loadAppConfig(raw: Record<string, unknown>): AppConfig {
  const env = plainToInstance(Environment, raw, { excludeExtraneousValues: false });
  const problems = validateSync(env, { skipMissingProperties: false, stopAtFirstError: true }).flatMap(describe);

  if (env.DATABASE_URL && env.DB_HOST) {
    problems.push('DATABASE_URL and DB_HOST are both set: set one of them');
  }
  if (env.REDIS_URL && env.REDIS_HOST) {
    problems.push('REDIS_URL and REDIS_HOST are both set: set one of them');
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);

  const port = env.PORT ?? 3000;
  const databaseCommon = {
    poolSize: env.DB_POOL_SIZE ?? 10,
    applicationName: env.DB_APPLICATION_NAME ?? 'linkpool',
    runMigrations: env.RUN_MIGRATIONS ?? true,
    connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS ?? 5000,
    statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS ?? 10_000,
  };
  const database: AppConfig['database'] =
    env.DATABASE_URL || env.DB_HOST
      ? {
          kind: 'server',
          url: env.DATABASE_URL,
          host: env.DB_HOST,
          port: env.DB_PORT ?? 5432,
          user: env.DB_USER,
          password: env.DB_PASSWORD,
          name: env.DB_NAME,
          ...databaseCommon,
        }
      : { kind: 'embedded', dataDir: resolve(env.DATA_DIR ?? '.data'), ...databaseCommon };

  const cacheCommon = {
    keyPrefix: env.CACHE_KEY_PREFIX ?? 'linkpool',
    ttlSeconds: env.CACHE_TTL_SECONDS ?? 300,
    negativeTtlSeconds: env.CACHE_NEGATIVE_TTL_SECONDS ?? 10,
    timeoutMs: env.CACHE_TIMEOUT_MS ?? 100,
    memoryMaxEntries: env.CACHE_MEMORY_MAX_ENTRIES ?? 100_000,
    localTtlMs: env.CACHE_LOCAL_TTL_MS ?? 10_000,
    localMaxEntries: env.CACHE_LOCAL_MAX_ENTRIES ?? 100_000,
  };
  const cache: AppConfig['cache'] =
    env.REDIS_URL || env.REDIS_HOST
      ? { kind: 'redis', url: env.REDIS_URL, host: env.REDIS_HOST, port: env.REDIS_PORT ?? 6379, password: env.REDIS_PASSWORD || undefined, ...cacheCommon }
      : { kind: 'memory', ...cacheCommon };

  const config: AppConfig = {
    port,
    host: env.HOST ?? '0.0.0.0',
    baseUrl: (env.BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    logLevel: (env.LOG_LEVEL ?? 'info') as LogLevel,
    database,
    cache,
    clicks: { flushIntervalMs: env.CLICK_FLUSH_INTERVAL_MS ?? 1000 },
    http: { bodyLimitBytes: env.BODY_LIMIT_BYTES ?? 16 * 1024, shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? 10_000 },
    security: {
      apiKeys: parseApiKeys(env.API_KEYS),
      corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
    },
    rateLimit: {
      enabled: env.RATE_LIMIT_ENABLED ?? true,
      windowMs: (env.RATE_LIMIT_WINDOW_SECONDS ?? 60) * 1000,
      createPerKey: env.RATE_LIMIT_CREATE_PER_KEY ?? 600,
      createPerIp: env.RATE_LIMIT_CREATE_PER_IP ?? 30,
      apiPerKey: env.RATE_LIMIT_API_PER_KEY ?? 3000,
      apiPerIp: env.RATE_LIMIT_API_PER_IP ?? 300,
      redirectPerIp: env.RATE_LIMIT_REDIRECT_PER_IP ?? 0,
    },
  };
  return Object.freeze(config);
}
