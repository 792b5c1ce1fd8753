import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per click batch written: a retried batch whose first write committed is not added again. */
export class CreateClickFlushes1796000000000 implements MigrationInterface {
  name = 'CreateClickFlushes1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE click_flushes (
        id         uuid        PRIMARY KEY,
        flushed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE click_flushes');
  }
}
