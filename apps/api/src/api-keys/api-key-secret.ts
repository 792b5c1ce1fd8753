import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters from the CSPRNG: 43 × log2(62) ≈ 256 bits. */
const RANDOM_LENGTH = 43;
export const API_KEY_PREFIX = 'lp_';
/** Characters kept in clear to tell keys apart in a listing (`lp_` + 7 random = 42 of ~256 bits). */
export const VISIBLE_PREFIX_LENGTH = 10;

/** A new key: `lp_` + 43 base62 characters (256 bits), shown once and never stored. */
export function generateApiKey(): string {
  let key = API_KEY_PREFIX;
  for (let i = 0; i < RANDOM_LENGTH; i++) key += BASE62[randomInt(BASE62.length)];
  return key;
}

/**
 * What is stored and looked up: SHA-256 of the key. A slow password hash (bcrypt, scrypt) exists
 * to make guessing low-entropy passwords expensive; keys here are 128 to 256 random bits (enforced
 * by API_KEY_PATTERN's length), so a leaked hash cannot be reversed by brute force anyway, and a
 * fast hash keeps the check cheap on every API request and lets it be an indexed lookup.
 */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The non-secret start of a key, shown in listings and accepted by `revoke`. */
export function visiblePrefix(key: string): string {
  return key.slice(0, VISIBLE_PREFIX_LENGTH);
}

/**
 * Constant-time equality of two hashes. The database found the row by this very hash; comparing
 * again in constant time makes the decision independent of how the index or bytea comparison
 * behaves. Timing differences in the lookup itself leak only bits of a SHA-256, not of the key.
 */
export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
