import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateLinks1764380000000 implements MigrationInterface {
  name = 'CreateLinks1764380000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The unique constraint's index is the redirect path's only lookup (code -> target);
    // listings walk the primary key backwards.
    await queryRunner.query(`
      CREATE TABLE links (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        code        varchar(64)   NOT NULL,
        url         varchar(2048) NOT NULL,
        created_at  timestamptz   NOT NULL DEFAULT now(),
        updated_at  timestamptz   NOT NULL DEFAULT now(),
        expires_at  timestamptz   NULL,
        click_count bigint        NOT NULL DEFAULT 0 CHECK (click_count >= 0),
        CONSTRAINT links_code_key UNIQUE (code)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE links');
  }
}
