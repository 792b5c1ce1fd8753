import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '@linkpool/config';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '../api-keys/authenticated-key.js';
import { isApiRoute, isRedirectRoute } from '../common/routes.js';
import { RateLimitedError } from './rate-limit.errors.js';
import { REDIRECT_THROTTLER } from './throttlers.js';

const ALLOW = Promise.resolve(true);

/**
 * @nestjs/throttler's guard, fitted to this API: counts per API key (per IP where no key is
 * required), one budget per caller and throttler across routes, plain `Retry-After` and
 * `X-RateLimit-*` headers, and a 429 in the API's error shape. Runs after ApiKeyGuard.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly limits: AppConfig['rateLimit'];

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    config: AppConfig,
  ) {
    super(options, storage, reflector);
    this.limits = config.rateLimit;
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    // Everything not limited (the redirect path above all) leaves here, before any per-throttler work.
    if (!this.limits.enabled || context.getType() !== 'http') return ALLOW;
    const route = context.switchToHttp().getRequest<FastifyRequest>().routeOptions.url;
    const limited = isApiRoute(route) || (this.limits.redirectPerIp > 0 && isRedirectRoute(route));
    return limited ? super.canActivate(context) : ALLOW;
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const apiKey = (request as unknown as FastifyRequest).apiKey;
    // The IP as Fastify resolved it (TRUST_PROXY decides whether X-Forwarded-For counts).
    return apiKey ? `key:${apiKey.id}` : `ip:${await super.getTracker(request)}`;
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = props;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const name = throttler.name!;
    const key = generateKey(context, await getTracker(request, context), name);
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    if (name !== REDIRECT_THROTTLER) {
      void reply.headers({
        'x-ratelimit-limit': limit,
        'x-ratelimit-remaining': Math.max(0, limit - record.totalHits),
        'x-ratelimit-reset': record.timeToExpire,
      });
    }
    if (record.isBlocked) {
      const retryAfter = Math.max(1, record.timeToBlockExpire);
      void reply.header('retry-after', retryAfter);
      throw new RateLimitedError(limit, Math.round(ttl / 1000), retryAfter);
    }
    return true;
  }
}
