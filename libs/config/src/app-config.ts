export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where Postgres is: an operator-supplied server, or the embedded PGlite of the zero-install mode. */
export type DatabaseTarget =
  | { kind: 'server'; url?: string; host?: string; port: number; user?: string; password?: string; name?: string }
  | { kind: 'embedded'; dataDir: string };

/** Where the cache lives: a Redis server, or the process' own memory. */
export type CacheTarget =
  | { kind: 'redis'; url?: string; host?: string; port: number; password?: string }
  | { kind: 'memory' };

/**
 * The whole configuration of the service, validated once at boot.
 * Injected by class token: `constructor(private readonly config: AppConfig)`.
 */
export abstract class AppConfig {
  declare readonly port: number;
  declare readonly host: string;
  /** Prefix of every short URL handed out, without a trailing slash. */
  declare readonly baseUrl: string;
  declare readonly logLevel: LogLevel;
  declare readonly database: DatabaseTarget & {
    poolSize: number;
    applicationName: string;
    runMigrations: boolean;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
  };
  declare readonly cache: CacheTarget & {
    keyPrefix: string;
    ttlSeconds: number;
    negativeTtlSeconds: number;
    timeoutMs: number;
    memoryMaxEntries: number;
    /** In-process cache in front of Redis (0 = off): entry lifetime in ms, and size. */
    localTtlMs: number;
    localMaxEntries: number;
  };
  declare readonly clicks: { flushIntervalMs: number };
  declare readonly http: { bodyLimitBytes: number; shutdownTimeoutMs: number };
  /** Who may call the API and the HTTP hardening around it (see docs/security.md). */
  declare readonly security: {
    /** Plaintext keys from API_KEYS, hashed and stored at boot. Never log them. */
    apiKeys: string[];
    /** CORS: off (false, the default), any origin ('*'), or these origins. */
    corsOrigins: false | '*' | string[];
    /** Fastify's trustProxy: whose X-Forwarded-For to believe for the client's address. */
    trustProxy: boolean | number | string[];
  };
  /** Request limits per API key (or per client IP where no key is required), per window. */
  declare readonly rateLimit: {
    enabled: boolean;
    windowMs: number;
    createPerKey: number;
    createPerIp: number;
    apiPerKey: number;
    apiPerIp: number;
    /** In-process per-IP limit on the redirect path; 0 = unlimited (the default). */
    redirectPerIp: number;
  };
}
