import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@linkpool/config';
import { isRedirectRoute } from './routes.js';

/**
 * TRUST_PROXY in the form Fastify's types accept. A hop count trusts that many proxies from the
 * socket inwards, as Fastify itself does with a number.
 */
export function fastifyTrustProxy(trust: AppConfig['security']['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/**
 * Security headers (@fastify/helmet) on everything but the redirect path, and CORS when
 * CORS_ORIGINS is set. Call before `app.init()`.
 */
export async function applyHttpSecurity(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  await app.register(helmet, {
    // Applied by the hook below instead: @fastify/helmet builds its middleware on every request,
    // which measured here at about +30 µs of CPU per redirect, close to doubling the hot path's cost.
    // A 302 carries no body for those headers to protect.
    global: false,
    contentSecurityPolicy: {
      // helmet's defaults suit the JSON API and Swagger UI at /docs (own scripts, inline styles,
      // data: images), except upgrade-insecure-requests, which breaks /docs served over plain http.
      directives: { upgradeInsecureRequests: null },
    },
  });
  app.getHttpAdapter().getInstance().addHook('onRequest', (request, reply, done) => {
    if (!isRedirectRoute(request.routeOptions.url)) reply.helmet();
    done();
  });

  const origins = config.security.corsOrigins;
  if (origins) {
    app.enableCors({
      origin: origins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['content-type', 'x-api-key', 'authorization'],
      exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
      maxAge: 600,
    });
  }
}
