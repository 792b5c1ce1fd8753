import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Writes click counts to `links.click_count`. */
@Injectable()
export class ClicksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Adds `counts[i]` clicks to link `ids[i]`, all in one statement. Deleted links are skipped. */
  async add(ids: string[], counts: number[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE links AS l SET click_count = l.click_count + v.n
         FROM unnest($1::bigint[], $2::bigint[]) AS v(id, n)
        WHERE l.id = v.id`,
      [ids, counts],
    );
  }
}
