import { Injectable } from '@nestjs/common';
import { CacheService } from '@linkpool/cache';
import { AppConfig } from '@linkpool/config';
import { isUniqueViolation } from '@linkpool/database';
import { ClickBuffer } from '../clicks/click-buffer.service.js';
import { ApiError } from '../common/api-error.js';
import type { CreateLinkDto } from './dto/create-link.dto.js';
import type { LinkPageResponse, LinkResponse, LinkStatsResponse } from './dto/link.response.js';
import type { UpdateLinkDto } from './dto/update-link.dto.js';
import { generateCode } from './link-code.js';
import type { Link } from './link.entity.js';
import { AliasTakenError, CodeSpaceExhaustedError, LinkExpiredError, LinkNotFoundError } from './links.errors.js';
import { type LinkTarget, LinksRepository } from './links.repository.js';

const CODE_ATTEMPTS = 5;
const cacheKey = (code: string) => `link:${code}`;

function checkTarget(code: string, target: LinkTarget | null): LinkTarget {
  if (!target) throw new LinkNotFoundError(code);
  if (target.expiresAt !== null && target.expiresAt <= Date.now()) throw new LinkExpiredError(code);
  return target;
}

/** Creating, reading, changing and resolving short links. */
@Injectable()
export class LinksService {
  constructor(
    private readonly links: LinksRepository,
    private readonly cache: CacheService,
    private readonly clicks: ClickBuffer,
    private readonly config: AppConfig,
  ) {}

  async create(dto: CreateLinkDto): Promise<LinkResponse> {
    const fields = { url: new URL(dto.url).href, expiresAt: dto.expiresAt ? new Date(dto.expiresAt) : null };
    for (let attempt = 1; attempt <= CODE_ATTEMPTS; attempt++) {
      const code = dto.alias ?? generateCode();
      try {
        const link = await this.links.insert({ code, ...fields });
        // A visitor may have tried this code before it existed: drop the cached "absent".
        await this.cache.invalidate(cacheKey(code));
        return this.toResponse(link);
      } catch (error) {
        if (!isUniqueViolation(error, 'links_code_key')) throw error;
        if (dto.alias) throw new AliasTakenError(dto.alias);
      }
    }
    throw new CodeSpaceExhaustedError(CODE_ATTEMPTS);
  }

  // Reads that report clicks run inside withStableCounts: a batch being flushed is then counted
  // once, either in Postgres or as pending, never in neither.
  async list(limit: number, cursor?: string): Promise<LinkPageResponse> {
    return this.clicks.withStableCounts(async () => {
      const page = await this.links.page(limit, cursor);
      return {
        items: page.map((link) => this.toResponse(link)),
        nextCursor: page.length === limit ? page[page.length - 1].id : null,
      };
    });
  }

  async get(code: string): Promise<LinkResponse> {
    return this.clicks.withStableCounts(async () => this.toResponse(await this.mustFind(code)));
  }

  async update(code: string, dto: UpdateLinkDto): Promise<LinkResponse> {
    const patch: Partial<Pick<Link, 'url' | 'expiresAt'>> = {};
    if (dto.url !== undefined) patch.url = new URL(dto.url).href;
    if (dto.expiresAt !== undefined) patch.expiresAt = dto.expiresAt === null ? null : new Date(dto.expiresAt);
    if (Object.keys(patch).length === 0) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'body must set at least one of url, expiresAt', [
        { field: 'body', rule: 'minProperties', message: 'body must set at least one of url, expiresAt' },
      ]);
    }
    const link = await this.links.update(code, patch);
    await this.cache.invalidate(cacheKey(code));
    if (!link) throw new LinkNotFoundError(code);
    return this.toResponse(link);
  }

  async remove(code: string): Promise<void> {
    const deleted = await this.links.delete(code);
    await this.cache.invalidate(cacheKey(code));
    if (!deleted) throw new LinkNotFoundError(code);
  }

  async stats(code: string): Promise<LinkStatsResponse> {
    return this.clicks.withStableCounts(async () => {
      const link = await this.mustFind(code);
      return { code: link.code, clicks: Number(link.clickCount) + this.clicks.pendingFor(link.id) };
    });
  }

  /**
   * Where `code` redirects to, through the cache. The hot path: when the in-process cache has
   * the code, the answer is synchronous (no promise, no I/O); otherwise one Redis read, or on
   * a miss one Postgres query shared by every concurrent request for the code.
   * @throws LinkNotFoundError, LinkExpiredError (synchronously, or as the promise's rejection)
   */
  resolve(code: string): LinkTarget | Promise<LinkTarget> {
    const key = cacheKey(code);
    const local = this.cache.peek<LinkTarget>(key);
    if (local !== undefined) return checkTarget(code, local);
    return this.cache.get(key, () => this.links.findTarget(code)).then((target) => checkTarget(code, target));
  }

  private async mustFind(code: string): Promise<Link> {
    const link = await this.links.findByCode(code);
    if (!link) throw new LinkNotFoundError(code);
    return link;
  }

  private toResponse(link: Link): LinkResponse {
    return {
      code: link.code,
      shortUrl: `${this.config.baseUrl}/${link.code}`,
      url: link.url,
      expiresAt: link.expiresAt ? link.expiresAt.toISOString() : null,
      createdAt: link.createdAt.toISOString(),
      updatedAt: link.updatedAt.toISOString(),
      clicks: Number(link.clickCount ?? 0) + this.clicks.pendingFor(link.id),
    };
  }
}
