import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { IsApiKeyList, IsCorsOrigins, IsTrustProxy } from './security-rules.js';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return value;
};
// An empty variable (`FOO=`) means "not set", as in most twelve-factor tools.
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * An optional integer variable within [min, max]. Rules run in this order (type first), so
 * "eighty" is reported as not an integer rather than as out of range.
 */
const OptionalInt = (min: number, max: number) =>
  applyDecorators(IsOptional(), Transform(toInt), IsInt(), Min(min), Max(max));

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The environment variables the service reads, with the rule each must meet. */
export class Environment {
  @OptionalInt(0, 65535)
  PORT?: number;

  @IsOptional() @IsString() @MinLength(1)
  HOST?: string;

  @IsOptional() @Transform(emptyToUndefined)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'BASE_URL must be an absolute http(s) URL' })
  BASE_URL?: string;

  @IsOptional() @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: string;

  @IsOptional() @Transform(emptyToUndefined)
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString() @MinLength(1)
  DB_HOST?: string;

  @OptionalInt(1, 65535)
  DB_PORT?: number;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  DB_USER?: string;

  @IsOptional() @IsString()
  DB_PASSWORD?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString() @Matches(/^[^\s/]+$/, { message: 'DB_NAME must be a database name without spaces or slashes' })
  DB_NAME?: string;

  @OptionalInt(1, 200)
  DB_POOL_SIZE?: number;

  @IsOptional() @IsString() @MinLength(1) @MaxLength(63)
  DB_APPLICATION_NAME?: string;

  @OptionalInt(100, 60_000)
  DB_CONNECT_TIMEOUT_MS?: number;

  @OptionalInt(100, 600_000)
  DB_STATEMENT_TIMEOUT_MS?: number;

  @IsOptional() @Transform(toBool)
  @IsIn([true, false], { message: 'RUN_MIGRATIONS must be true or false' })
  RUN_MIGRATIONS?: boolean;

  @IsOptional() @IsString() @MinLength(1)
  DATA_DIR?: string;

  @IsOptional() @Transform(emptyToUndefined)
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString() @MinLength(1)
  REDIS_HOST?: string;

  @OptionalInt(1, 65535)
  REDIS_PORT?: number;

  @IsOptional() @IsString()
  REDIS_PASSWORD?: string;

  @IsOptional() @IsString() @Matches(/^[\w:.-]{0,64}$/, { message: 'CACHE_KEY_PREFIX must be at most 64 characters of letters, digits, _ : . -' })
  CACHE_KEY_PREFIX?: string;

  @OptionalInt(1, 86_400 * 30)
  CACHE_TTL_SECONDS?: number;

  @OptionalInt(1, 3600)
  CACHE_NEGATIVE_TTL_SECONDS?: number;

  @OptionalInt(5, 5000)
  CACHE_TIMEOUT_MS?: number;

  @OptionalInt(100, 10_000_000)
  CACHE_MEMORY_MAX_ENTRIES?: number;

  /** Lifetime of an entry in the in-process cache in front of Redis; 0 turns that cache off. */
  @OptionalInt(0, 3_600_000)
  CACHE_LOCAL_TTL_MS?: number;

  /** Entries the in-process cache holds before it drops the least recently used; 0 turns it off. */
  @OptionalInt(0, 10_000_000)
  CACHE_LOCAL_MAX_ENTRIES?: number;

  @OptionalInt(50, 60_000)
  CLICK_FLUSH_INTERVAL_MS?: number;

  @OptionalInt(1024, 10 * 1024 * 1024)
  BODY_LIMIT_BYTES?: number;

  @OptionalInt(100, 120_000)
  SHUTDOWN_TIMEOUT_MS?: number;

  // --- Security: API keys, rate limits, HTTP hardening (see docs/security.md) ---

  /** Bootstrap API keys, comma-separated: hashed and stored at boot. Errors name the entry, never its value. */
  @IsOptional() @Transform(emptyToUndefined) @IsString() @IsApiKeyList()
  API_KEYS?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString() @IsCorsOrigins()
  CORS_ORIGINS?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString() @IsTrustProxy()
  TRUST_PROXY?: string;

  @IsOptional() @Transform(toBool)
  @IsIn([true, false], { message: 'RATE_LIMIT_ENABLED must be true or false' })
  RATE_LIMIT_ENABLED?: boolean;

  @OptionalInt(1, 3600)
  RATE_LIMIT_WINDOW_SECONDS?: number;

  @OptionalInt(1, 1_000_000)
  RATE_LIMIT_CREATE_PER_KEY?: number;

  @OptionalInt(1, 1_000_000)
  RATE_LIMIT_CREATE_PER_IP?: number;

  @OptionalInt(1, 1_000_000)
  RATE_LIMIT_API_PER_KEY?: number;

  @OptionalInt(1, 1_000_000)
  RATE_LIMIT_API_PER_IP?: number;

  /** Opt-in, in-process per-IP limit on the redirect path; 0 (default) leaves it unlimited. */
  @OptionalInt(0, 1_000_000)
  RATE_LIMIT_REDIRECT_PER_IP?: number;
}
