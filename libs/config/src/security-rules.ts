import { ValidateBy } from 'class-validator';
import { isIP } from 'node:net';

/**
 * What an API key may look like: 32 to 256 URL-safe characters. Keys are bearer secrets checked by
 * their SHA-256 hash, which is only safe for high-entropy keys: 32 characters is the floor (128 bits
 * as hex), and `npm run apikey -- generate` makes 256-bit ones.
 */
export const API_KEY_PATTERN = /^[A-Za-z0-9_-]{32,256}$/;
export const API_KEY_RULE = '32 to 256 characters of A-Z, a-z, 0-9, _ or -';

const splitList = (value: string): string[] => value.split(',').map((item) => item.trim());

/** API_KEYS as a list: comma-separated, blanks ignored, duplicates dropped. */
export const parseApiKeys = (value: string | undefined): string[] =>
  [...new Set(splitList(value ?? '').filter(Boolean))];

/**
 * API_KEYS: each entry must be a key. The message names the entry by position, never by value:
 * configuration errors are printed, and a key is a secret.
 */
export const IsApiKeyList = () =>
  ValidateBy({
    name: 'isApiKeyList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseApiKeys(value).every((key) => API_KEY_PATTERN.test(key)),
      defaultMessage: (args) => {
        const bad = parseApiKeys(String(args?.value ?? '')).findIndex((key) => !API_KEY_PATTERN.test(key));
        return (
          `API_KEYS must be a comma-separated list of keys, each ${API_KEY_RULE}` +
          ` (entry ${bad + 1} is not; generate a key with \`npm run apikey -- generate\`)`
        );
      },
    },
  });

/** CORS_ORIGINS: `*` (any origin), or a comma-separated list of origins; unset means CORS off. */
export function parseCorsOrigins(value: string | undefined): '*' | string[] | false {
  if (value === undefined || value.trim() === '') return false;
  if (value.trim() === '*') return '*';
  return splitList(value).filter(Boolean);
}

const isOrigin = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
};

export const IsCorsOrigins = () =>
  ValidateBy({
    name: 'isCorsOrigins',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string') return false;
        const origins = parseCorsOrigins(value);
        return origins === '*' || (Array.isArray(origins) && origins.length > 0 && origins.every(isOrigin));
      },
      defaultMessage: () =>
        'CORS_ORIGINS must be * or a comma-separated list of origins such as https://app.example.com (scheme, host and port only, no path or trailing slash)',
    },
  });

/** proxy-addr's names for address ranges, accepted by Fastify's trustProxy. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isProxyAddress = (entry: string): boolean => {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
};

/**
 * TRUST_PROXY as Fastify's `trustProxy`: false (default: the socket's address is the client),
 * true (believe any X-Forwarded-For: only behind a proxy that overwrites it), a hop count, or
 * the proxies' addresses/CIDRs.
 */
export function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return splitList(v);
}

export const IsTrustProxy = () =>
  ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string') return false;
        const parsed = parseTrustProxy(value);
        if (typeof parsed === 'number') return parsed <= 100;
        return typeof parsed === 'boolean' || parsed.every(isProxyAddress);
      },
      defaultMessage: () =>
        'TRUST_PROXY must be true, false, a hop count (0-100), or a comma-separated list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal)',
    },
  });
