import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { Link } from './link.entity.js';

/** What the redirect path needs of a link. */
export interface LinkTarget {
  id: string;
  url: string;
  /** Epoch milliseconds, or null for never. */
  expiresAt: number | null;
}

/** Thin access to the `links` table. */
@Injectable()
export class LinksRepository {
  constructor(@InjectRepository(Link) private readonly links: Repository<Link>) {}

  insert(link: Pick<Link, 'code' | 'url' | 'expiresAt'>): Promise<Link> {
    return this.links.save(this.links.create(link));
  }

  findByCode(code: string): Promise<Link | null> {
    return this.links.findOneBy({ code });
  }

  async findTarget(code: string): Promise<LinkTarget | null> {
    const row = await this.links.findOne({ select: { id: true, url: true, expiresAt: true }, where: { code } });
    return row && { id: row.id, url: row.url, expiresAt: row.expiresAt ? row.expiresAt.getTime() : null };
  }

  /** Newest first; `beforeId` is the last id of the previous page. */
  page(limit: number, beforeId?: string): Promise<Link[]> {
    return this.links.find({
      where: beforeId ? { id: LessThan(beforeId) } : {},
      order: { id: 'DESC' },
      take: limit,
    });
  }

  async update(code: string, patch: Partial<Pick<Link, 'url' | 'expiresAt'>>): Promise<Link | null> {
    const result = await this.links.update({ code }, patch);
    return result.affected ? this.findByCode(code) : null;
  }

  async delete(code: string): Promise<boolean> {
    const result = await this.links.delete({ code });
    return (result.affected ?? 0) > 0;
  }
}
