import { randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const GENERATED_CODE_LENGTH = 7;

/** What a code (generated or chosen alias) may look like. */
export const CODE_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;
export const CODE_RULE = '3 to 64 characters of A-Z, a-z, 0-9, _ or -';

/** First path segments the service itself uses, or may use; an alias cannot take them. */
export const RESERVED_CODES = new Set([
  'api', 'health', 'docs', 'docs-json', 'docs-yaml', 'metrics', 'admin', 'static', 'assets',
  'login', 'logout', 'status', 'robots', 'favicon', 'well-known',
]);

export const isReservedCode = (code: string): boolean => RESERVED_CODES.has(code.toLowerCase());

/** 7 base62 characters from the CSPRNG: 62^7 ≈ 3.5e12 codes, so collisions (retried) are rare. */
export function generateCode(): string {
  let code = '';
  for (let i = 0; i < GENERATED_CODE_LENGTH; i++) code += BASE62[randomInt(BASE62.length)];
  return code;
}
