import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { LoadedConfig } from '@linkpool/config';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { applyHttpSecurity, fastifyTrustProxy } from './common/http-security.js';
import { createValidationPipe } from './common/validation.pipe.js';

/**
 * Builds the whole HTTP application (used by main.ts and by the end-to-end tests alike):
 * Fastify, global pipe and filter, OpenAPI at /docs. Resolves once Postgres' pool is warm.
 */
export async function createApp({ config, module }: LoadedConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    // Keep-alive clients must not hold shutdown open; idle ones are dropped at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // Behind a load balancer, which X-Forwarded-For to believe for the client IP (rate limits per IP).
    trustProxy: fastifyTrustProxy(config.security.trustProxy),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(module), adapter, {
    bufferLogs: true,
    abortOnError: false,
    // Nest would add JSON and form parsers; Fastify's own JSON parser is all the API needs.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  // The API speaks JSON only: other bodies (text, forms) get 415 instead of reaching a DTO.
  app.getHttpAdapter().getInstance().removeContentTypeParser(['text/plain']);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  await applyHttpSecurity(app, config);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('linkpool')
      .setDescription('Short links: create, manage, redirect, count.')
      .setVersion('0.1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
      .build(),
  );
  // Every /api operation needs the key (ApiKeyGuard); say so in the document, so /docs can send it.
  for (const [path, operations] of Object.entries(document.paths)) {
    if (!path.startsWith('/api/')) continue;
    for (const operation of Object.values(operations)) {
      if (operation && typeof operation === 'object' && 'responses' in operation) operation.security = [{ 'api-key': [] }];
    }
  }
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });

  await app.init();
  new NestLogger('Bootstrap').log(
    `database: ${config.database.kind === 'embedded' ? 'embedded PGlite' : 'PostgreSQL server'}, ` +
      `cache: ${config.cache.kind === 'redis' ? 'Redis' : 'in-process memory'}, pool: ${config.database.poolSize}`,
  );
  return app;
}
