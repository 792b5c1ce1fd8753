import type { AppConfig } from '@linkpool/config';
import { hashApiKey } from './api-key-secret.js';
import type { ApiKey } from './api-key.entity.js';
import { ApiKeyCommandError, ApiKeyInvalidError, ApiKeyMissingError, ApiKeyRevokedError } from './api-keys.errors.js';
import type { ApiKeysRepository, NewApiKey } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';

/** The repository's contract over an array. */
class FakeRepository {
  rows: ApiKey[] = [];
  touches: string[] = [];
  lookups = 0;

  async insert(key: NewApiKey): Promise<ApiKey> {
    const row = { ...key, id: String(this.rows.length + 1), createdAt: new Date(), revokedAt: null, lastUsedAt: null };
    this.rows.push(row);
    return row;
  }
  async insertMissing(keys: NewApiKey[]) {
    for (const key of keys) if (!this.rows.some((r) => r.keyHash.equals(key.keyHash))) await this.insert(key);
  }
  async findByHash(hash: Buffer) {
    this.lookups++;
    return this.rows.find((r) => r.keyHash.equals(hash)) ?? null;
  }
  async findByHashes(hashes: Buffer[]) {
    return this.rows.filter((r) => hashes.some((h) => h.equals(r.keyHash)));
  }
  async findById(id: string) {
    return this.rows.find((r) => r.id === id) ?? null;
  }
  async findByPrefix(prefix: string) {
    return this.rows.filter((r) => r.prefix === prefix);
  }
  async list() {
    return this.rows;
  }
  async revoke(id: string) {
    const row = this.rows.find((r) => r.id === id)!;
    row.revokedAt ??= new Date();
  }
  async touch(id: string) {
    this.touches.push(id);
  }
  async exists() {
    return this.rows.length > 0;
  }
  async countActive() {
    return this.rows.filter((r) => !r.revokedAt).length;
  }
}

const config = (database: 'server' | 'embedded', apiKeys: string[] = []) =>
  ({ database: { kind: database }, security: { apiKeys } }) as unknown as AppConfig;

describe('ApiKeysService', () => {
  let repo: FakeRepository;
  const service = (database: 'server' | 'embedded' = 'server', apiKeys: string[] = []) =>
    new ApiKeysService(repo as unknown as ApiKeysRepository, config(database, apiKeys));

  beforeEach(() => {
    repo = new FakeRepository();
  });

  it('creates a key that is stored only as its hash and prefix, and authenticates it', async () => {
    const keys = service();
    const { key, apiKey } = await keys.create('  ci deploy ');
    expect(apiKey).toMatchObject({ name: 'ci deploy', prefix: key.slice(0, 10) });
    expect(JSON.stringify(repo.rows)).not.toContain(key.slice(10));
    expect(repo.rows[0].keyHash.equals(hashApiKey(key))).toBe(true);
    await expect(keys.authenticate(key)).resolves.toEqual({ id: apiKey.id, name: 'ci deploy', prefix: apiKey.prefix });
  });

  it('refuses a missing key (401), an unknown or malformed one (401) and a revoked one (403)', async () => {
    const keys = service();
    const { key } = await keys.create('soon revoked');
    await expect(keys.authenticate(undefined)).rejects.toBeInstanceOf(ApiKeyMissingError);
    await expect(keys.authenticate(`${key.slice(0, -1)}x`)).rejects.toBeInstanceOf(ApiKeyInvalidError);
    await keys.revoke(key.slice(0, 10));
    const revoked = keys.authenticate(key);
    await expect(revoked).rejects.toBeInstanceOf(ApiKeyRevokedError);
    await expect(keys.authenticate(key)).rejects.toMatchObject({ status: 403 });
  });

  it('never asks the database about a value that cannot be a key', async () => {
    for (const bad of ['short', 'x'.repeat(300), `${'a'.repeat(40)}\n`, 'a b'.repeat(20)]) {
      await expect(service().authenticate(bad)).rejects.toBeInstanceOf(ApiKeyInvalidError);
    }
    expect(repo.lookups).toBe(0);
  });

  it('records last use at most once a minute per key', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    try {
      const keys = service();
      const { key, apiKey } = await keys.create('busy');
      for (let i = 0; i < 50; i++) await keys.authenticate(key);
      expect(repo.touches).toEqual([apiKey.id]);
      vi.setSystemTime(new Date('2030-01-01T00:01:01Z'));
      await keys.authenticate(key);
      expect(repo.touches).toEqual([apiKey.id, apiKey.id]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs open only in the embedded mode with no key configured or ever created', async () => {
    expect(await service('server').isOpen()).toBe(false);
    expect(await service('embedded', ['k'.repeat(40)]).isOpen()).toBe(false);
    const embedded = service('embedded');
    expect(await embedded.isOpen()).toBe(true);
    await expect(embedded.authenticate(undefined)).resolves.toBeNull();
    // A key created (by this process or the CLI) closes it; revoking every key does not reopen it.
    const { key } = await embedded.create('first');
    expect(await embedded.isOpen()).toBe(false);
    await embedded.revoke(key);
    expect(await service('embedded').isOpen()).toBe(false);
  });

  it('imports API_KEYS once, and keeps a revoked one revoked', async () => {
    const key = 'lp_boot_' + 'b'.repeat(40);
    const keys = service('server', [key]);
    expect(await keys.importKeys([key])).toEqual({ revoked: 0 });
    expect(await keys.importKeys([key])).toEqual({ revoked: 0 });
    expect(repo.rows).toHaveLength(1);
    expect(repo.rows[0]).toMatchObject({ name: 'from API_KEYS', prefix: 'lp_boot_bb' });
    await keys.revoke(repo.rows[0].id);
    expect(await keys.importKeys([key])).toEqual({ revoked: 1 });
    await expect(keys.authenticate(key)).rejects.toBeInstanceOf(ApiKeyRevokedError);
  });

  it('revokes by id, by prefix or by the key itself, and refuses an ambiguous prefix', async () => {
    const keys = service();
    const a = await keys.create('a');
    const b = await keys.create('b');
    const c = await keys.create('c');
    expect((await keys.revoke(a.apiKey.id)).revokedAt).toBeInstanceOf(Date);
    expect((await keys.revoke(b.apiKey.prefix)).id).toBe(b.apiKey.id);
    expect((await keys.revoke(c.key)).id).toBe(c.apiKey.id);
    await expect(keys.revoke('lp_nothing')).rejects.toBeInstanceOf(ApiKeyCommandError);
    repo.rows[1].prefix = repo.rows[0].prefix;
    await expect(keys.revoke(repo.rows[0].prefix)).rejects.toThrow(/2 keys have that prefix \(ids 1, 2\): revoke by id/);
  });

  it('refuses an empty or unprintable name', async () => {
    await expect(service().create('   ')).rejects.toBeInstanceOf(ApiKeyCommandError);
    await expect(service().create('bad\u0007name')).rejects.toBeInstanceOf(ApiKeyCommandError);
    await expect(service().create('n'.repeat(101))).rejects.toBeInstanceOf(ApiKeyCommandError);
  });
});
