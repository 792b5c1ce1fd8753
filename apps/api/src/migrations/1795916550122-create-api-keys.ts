import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1795916550122 implements MigrationInterface {
  name = 'CreateApiKeys1795916550122';

  async up(queryRunner: QueryRunner): Promise<void> {
    // key_hash (SHA-256 of the key) is the only lookup, through its unique index; the table stays
    // small, so listing and revoking by prefix scan it. The key itself is never stored.
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name         varchar(100) NOT NULL,
        prefix       varchar(16)  NOT NULL,
        key_hash     bytea        NOT NULL CHECK (octet_length(key_hash) = 32),
        created_at   timestamptz  NOT NULL DEFAULT now(),
        revoked_at   timestamptz  NULL,
        last_used_at timestamptz  NULL,
        CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE api_keys');
  }
}
