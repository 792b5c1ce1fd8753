import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiGoneResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClickBuffer } from '../clicks/click-buffer.service.js';
import { CODE_PATTERN } from './link-code.js';
import { LinkNotFoundError } from './links.errors.js';
import { LinksService } from './links.service.js';

/** `GET /:code`: the hot path. */
@ApiTags('redirect')
@Controller()
export class RedirectController {
  constructor(
    private readonly links: LinksService,
    private readonly clicks: ClickBuffer,
  ) {}

  @Get(':code')
  @ApiFoundResponse({ description: 'Redirect to the link target (Location header)' })
  @ApiNotFoundResponse()
  @ApiGoneResponse({ description: 'The link has expired' })
  async redirect(@Param('code') code: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // Anything that cannot be a code is simply not found; it never reaches the cache or the database.
    if (!CODE_PATTERN.test(code)) throw new LinkNotFoundError(code.slice(0, 64));
    const target = await this.links.resolve(code);
    if (request.method === 'GET') this.clicks.record(target.id);
    // private, max-age=0: a browser must not pin a redirect whose target may change.
    void reply.code(302).header('location', target.url).header('cache-control', 'private, max-age=0').send();
  }
}
