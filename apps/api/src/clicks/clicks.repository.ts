import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Writes click counts to `links.click_count`. */
@Injectable()
export class ClicksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Adds `counts[i]` clicks to link `ids[i]`, all in one statement, once per `batchId`: the batch id
   * is recorded in the same statement, so writing a batch again (a retry after an answer that never
   * came) adds nothing. Deleted links are skipped.
   */
  async add(batchId: string, ids: string[], counts: number[]): Promise<void> {
    await this.dataSource.query(
      `WITH claimed AS (INSERT INTO click_flushes (id) VALUES ($3) ON CONFLICT (id) DO NOTHING RETURNING id)
       UPDATE links AS l SET click_count = l.click_count + v.n
         FROM unnest($1::bigint[], $2::bigint[]) AS v(id, n), claimed
        WHERE l.id = v.id`,
      [ids, counts, batchId],
    );
  }

  /** Forgets batch ids older than `maxAgeSeconds` (long after any retry of theirs). */
  async forgetBatches(maxAgeSeconds: number): Promise<void> {
    await this.dataSource.query(`DELETE FROM click_flushes WHERE flushed_at < now() - make_interval(secs => $1)`, [maxAgeSeconds]);
  }
}
