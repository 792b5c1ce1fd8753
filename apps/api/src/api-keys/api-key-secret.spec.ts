import { API_KEY_PATTERN } from '@linkpool/config';
import { createHash } from 'node:crypto';
import { API_KEY_PREFIX, generateApiKey, hashApiKey, sameHash, visiblePrefix } from './api-key-secret.js';

describe('API key secrets', () => {
  it('generates lp_ + 43 base62 characters that satisfy the configured key rule', () => {
    const keys = new Set(Array.from({ length: 1000 }, generateApiKey));
    expect(keys.size).toBe(1000);
    for (const key of keys) {
      expect(key).toMatch(/^lp_[0-9A-Za-z]{43}$/);
      expect(API_KEY_PATTERN.test(key)).toBe(true);
    }
  });

  it('hashes with SHA-256, 32 bytes, deterministic', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toEqual(createHash('sha256').update(key).digest());
    expect(hashApiKey(key)).toHaveLength(32);
    expect(hashApiKey(key).equals(hashApiKey(`${key}x`))).toBe(false);
  });

  it('shows only the first 10 characters', () => {
    const key = generateApiKey();
    expect(visiblePrefix(key)).toBe(key.slice(0, 10));
    expect(visiblePrefix(key).startsWith(API_KEY_PREFIX)).toBe(true);
  });

  it('compares hashes in constant time, and tells lengths apart without throwing', () => {
    const a = hashApiKey('a'.repeat(40));
    expect(sameHash(a, Buffer.from(a))).toBe(true);
    expect(sameHash(a, hashApiKey('b'.repeat(40)))).toBe(false);
    expect(sameHash(a, a.subarray(0, 16))).toBe(false);
  });
});
