import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isApiRoute } from '../common/routes.js';
import { ApiKeysService } from './api-keys.service.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The key a request presents: `x-api-key`, else `Authorization: Bearer <key>`; undefined for none. */
export function presentedKey(headers: FastifyRequest['headers']): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const authorization = headers.authorization;
  return typeof authorization === 'string' ? BEARER.exec(authorization)?.[1] : undefined;
}

/**
 * Requires an API key on every `/api/*` route (global guard). The redirect path, /health and
 * /docs are public; for them the guard returns at once without touching the database.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeysService) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!isApiRoute(request.routeOptions.url)) return true;
    return this.authenticate(request, context.switchToHttp().getResponse<FastifyReply>());
  }

  private async authenticate(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    try {
      request.apiKey = await this.apiKeys.authenticate(presentedKey(request.headers));
      return true;
    } catch (error) {
      // RFC 9110: a 401 names the scheme the client should use.
      if ((error as { getStatus?: () => number }).getStatus?.() === 401) void reply.header('www-authenticate', 'Bearer realm="linkpool"');
      throw error;
    }
  }
}
