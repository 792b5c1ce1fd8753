import type { ExecutionContext } from '@nestjs/common';
import type { AppConfig } from '@linkpool/config';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type {} from '../api-keys/authenticated-key.js';
import { isApiRoute, isRedirectRoute } from '../common/routes.js';

/** Link creation: per API key (or per IP where the API runs open). */
export const CREATE_THROTTLER = 'create';
/** Every other /api route, more generously, one budget per caller across routes. */
export const API_THROTTLER = 'api';
/** Opt-in, per IP, counted in process only: a Redis round trip per redirect would cost the hot path dearly. */
export const REDIRECT_THROTTLER = 'redirect';

const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<FastifyRequest>();

export const isLinkCreation = (request: FastifyRequest): boolean =>
  request.method === 'POST' && request.routeOptions.url === '/api/links';

/** The named throttlers for @nestjs/throttler; exactly one of them applies to any limited route. */
export function buildThrottlers(limits: AppConfig['rateLimit']): ThrottlerOptions[] {
  // ApiKeyGuard runs first and leaves the caller's key (or null where the API runs open) on the request.
  const perCaller = (perKey: number, perIp: number) => (context: ExecutionContext) => (requestOf(context).apiKey ? perKey : perIp);
  const throttlers: ThrottlerOptions[] = [
    {
      name: CREATE_THROTTLER,
      ttl: limits.windowMs,
      limit: perCaller(limits.createPerKey, limits.createPerIp),
      skipIf: (context) => !isLinkCreation(requestOf(context)),
    },
    {
      name: API_THROTTLER,
      ttl: limits.windowMs,
      limit: perCaller(limits.apiPerKey, limits.apiPerIp),
      skipIf: (context) => {
        const request = requestOf(context);
        return !isApiRoute(request.routeOptions.url) || isLinkCreation(request);
      },
    },
  ];
  if (limits.redirectPerIp > 0) {
    throttlers.push({
      name: REDIRECT_THROTTLER,
      ttl: limits.windowMs,
      limit: limits.redirectPerIp,
      skipIf: (context) => !isRedirectRoute(requestOf(context).routeOptions.url),
    });
  }
  return throttlers;
}
