import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { ApiKey } from './api-key.entity.js';

export type NewApiKey = Pick<ApiKey, 'name' | 'prefix' | 'keyHash'>;

/** Thin access to the `api_keys` table. */
@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  insert(key: NewApiKey): Promise<ApiKey> {
    return this.keys.save(this.keys.create(key));
  }

  /** Inserts the keys not stored yet; a stored one (revoked or not) is left as it is. Safe when instances race. */
  async insertMissing(keys: NewApiKey[]): Promise<void> {
    if (keys.length === 0) return;
    await this.keys.createQueryBuilder().insert().into(ApiKey).values(keys).orIgnore().execute();
  }

  findByHash(keyHash: Buffer): Promise<ApiKey | null> {
    return this.keys.findOneBy({ keyHash });
  }

  findByHashes(keyHashes: Buffer[]): Promise<ApiKey[]> {
    return keyHashes.length ? this.keys.createQueryBuilder('k').where('k.key_hash IN (:...keyHashes)', { keyHashes }).getMany() : Promise.resolve([]);
  }

  findById(id: string): Promise<ApiKey | null> {
    return this.keys.findOneBy({ id });
  }

  findByPrefix(prefix: string): Promise<ApiKey[]> {
    return this.keys.findBy({ prefix });
  }

  /** Oldest first. */
  list(): Promise<ApiKey[]> {
    return this.keys.find({ order: { id: 'ASC' } });
  }

  async revoke(id: string): Promise<void> {
    await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  /** Stamps last_used_at unless another instance did so less than `minIntervalMs` ago. */
  async touch(id: string, minIntervalMs: number): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update(ApiKey)
      .set({ lastUsedAt: () => 'now()' })
      .where('id = :id', { id })
      .andWhere(`(last_used_at IS NULL OR last_used_at < now() - make_interval(secs => :seconds))`, { seconds: minIntervalMs / 1000 })
      .execute();
  }

  async exists(): Promise<boolean> {
    return this.keys.exists();
  }

  countActive(): Promise<number> {
    return this.keys.countBy({ revokedAt: IsNull() });
  }
}
