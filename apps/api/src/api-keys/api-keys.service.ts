import { Injectable, Logger } from '@nestjs/common';
import { API_KEY_PATTERN, AppConfig } from '@linkpool/config';
import { generateApiKey, hashApiKey, sameHash, visiblePrefix } from './api-key-secret.js';
import type { ApiKey } from './api-key.entity.js';
import { ApiKeyCommandError, ApiKeyInvalidError, ApiKeyMissingError, ApiKeyRevokedError } from './api-keys.errors.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import type { AuthenticatedKey } from './authenticated-key.js';

/** last_used_at is a hint for operators, not an audit log: one write per key per minute at most. */
const TOUCH_INTERVAL_MS = 60_000;
/** While the API runs open, how often to ask whether a key has been created since. */
const OPEN_RECHECK_MS = 5_000;
const NAME_PATTERN = /^[^\p{C}]{1,100}$/u;
export const BOOTSTRAP_KEY_NAME = 'from API_KEYS';

/** Checking API keys on requests, and creating, listing and revoking them (CLI). */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger('ApiKeys');
  private readonly touchedAt = new Map<string, number>();
  /** Keys are revoked, never deleted: once one exists, the API never runs open again. */
  private anyKeyStored = false;
  private anyKeyCheckedAt = -Infinity;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly config: AppConfig,
  ) {}

  /**
   * The caller behind `presented` (a key from a request header), or null where the API runs open.
   * @throws ApiKeyMissingError, ApiKeyInvalidError (401), ApiKeyRevokedError (403)
   */
  async authenticate(presented: string | undefined): Promise<AuthenticatedKey | null> {
    if (presented === undefined) {
      if (await this.isOpen()) return null;
      throw new ApiKeyMissingError();
    }
    // Malformed keys never reach the database.
    if (!API_KEY_PATTERN.test(presented)) throw new ApiKeyInvalidError();
    const hash = hashApiKey(presented);
    const key = await this.keys.findByHash(hash);
    if (!key || !sameHash(key.keyHash, hash)) throw new ApiKeyInvalidError();
    if (key.revokedAt) throw new ApiKeyRevokedError(key.prefix);
    this.touch(key.id);
    return { id: key.id, name: key.name, prefix: key.prefix };
  }

  /**
   * Whether API requests without a key are let through: only in the embedded zero-install mode,
   * with API_KEYS unset and no key ever created. A server deployment always requires keys.
   */
  async isOpen(): Promise<boolean> {
    if (this.config.database.kind !== 'embedded' || this.config.security.apiKeys.length > 0 || this.anyKeyStored) return false;
    const now = Date.now();
    if (now - this.anyKeyCheckedAt >= OPEN_RECHECK_MS) {
      this.anyKeyStored = await this.keys.exists();
      this.anyKeyCheckedAt = now;
    }
    return !this.anyKeyStored;
  }

  /** A new key; the plaintext `key` is returned this once and never stored. */
  async create(name: string): Promise<{ key: string; apiKey: ApiKey }> {
    const trimmed = name.trim();
    if (!NAME_PATTERN.test(trimmed)) throw new ApiKeyCommandError('a key name must be 1 to 100 printable characters');
    const key = generateApiKey();
    const apiKey = await this.keys.insert({ name: trimmed, prefix: visiblePrefix(key), keyHash: hashApiKey(key) });
    this.anyKeyStored = true;
    return { key, apiKey };
  }

  list(): Promise<ApiKey[]> {
    return this.keys.list();
  }

  countActive(): Promise<number> {
    return this.keys.countActive();
  }

  /**
   * Revokes the key with this id, visible prefix, or (for a leaked key) the key itself.
   * Revoking twice is harmless.
   */
  async revoke(reference: string): Promise<ApiKey> {
    const matches = await this.find(reference.trim());
    if (matches.length === 0) throw new ApiKeyCommandError('no API key has that id, prefix or value (see `list`)');
    if (matches.length > 1) {
      throw new ApiKeyCommandError(`${matches.length} keys have that prefix (ids ${matches.map((k) => k.id).join(', ')}): revoke by id`);
    }
    await this.keys.revoke(matches[0].id);
    return (await this.keys.findById(matches[0].id))!;
  }

  /** Stores the keys of API_KEYS (hashed). A key revoked earlier stays revoked: returns how many are. */
  async importKeys(keys: string[]): Promise<{ revoked: number }> {
    const rows = keys.map((key) => ({ name: BOOTSTRAP_KEY_NAME, prefix: visiblePrefix(key), keyHash: hashApiKey(key) }));
    await this.keys.insertMissing(rows);
    const stored = await this.keys.findByHashes(rows.map((row) => row.keyHash));
    return { revoked: stored.filter((key) => key.revokedAt).length };
  }

  private async find(reference: string): Promise<ApiKey[]> {
    if (/^\d{1,18}$/.test(reference)) {
      const byId = await this.keys.findById(reference);
      if (byId) return [byId];
    }
    const byPrefix = await this.keys.findByPrefix(reference);
    if (byPrefix.length > 0 || !API_KEY_PATTERN.test(reference)) return byPrefix;
    const byValue = await this.keys.findByHash(hashApiKey(reference));
    return byValue ? [byValue] : [];
  }

  /** Records the use of a key without making the request wait for that write. */
  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.touchedAt.get(id) ?? -Infinity) < TOUCH_INTERVAL_MS) return;
    this.touchedAt.set(id, now);
    this.keys.touch(id, TOUCH_INTERVAL_MS).catch((error: Error) => {
      this.logger.warn(`could not record the use of API key ${id}: ${error.message}`);
    });
  }
}
