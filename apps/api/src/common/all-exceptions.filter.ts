import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from '@linkpool/database';
import type { FastifyReply } from 'fastify';
import { ApiError, type ApiErrorBody } from './api-error.js';

const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Fastify's terse messages for body errors (Nest hands them over as HttpExceptions), restated to name the rule. */
const MESSAGES_BY_STATUS: Record<number, string> = {
  413: 'body must not be larger than the configured limit (BODY_LIMIT_BYTES)',
  415: 'content-type must be application/json',
};

/**
 * Every error leaves as JSON `{statusCode, error, code, message}`. HttpException bodies pass
 * through; a database outage becomes 503 with Retry-After; anything else is logged and
 * answered with a bare 500 that leaks nothing.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    const { status, body, headers } = this.toResponse(exception);
    void reply.code(status).headers(headers).send(body);
  }

  private toResponse(exception: unknown): { status: number; body: object; headers: Record<string, string> } {
    if (exception instanceof HttpException) {
      return { status: exception.getStatus(), body: this.fromHttpException(exception), headers: {} };
    }

    // Errors Fastify raises itself (body too large, bad content type) carry their own 4xx status.
    const fastifyError = exception as { statusCode?: unknown; code?: unknown; message?: unknown };
    if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      const code = typeof fastifyError.code === 'string' ? fastifyError.code : 'BAD_REQUEST';
      const message = MESSAGES_BY_STATUS[fastifyError.statusCode] ?? String(fastifyError.message);
      return { status: fastifyError.statusCode, body: ApiError.body(fastifyError.statusCode, code, message), headers: {} };
    }

    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`database unavailable: ${(exception as Error)?.message}`);
      return {
        status: 503,
        body: ApiError.body(503, 'DATABASE_UNAVAILABLE', 'the database is unavailable; retry later'),
        headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
      };
    }

    this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    return { status: 500, body: ApiError.body(500, 'INTERNAL_ERROR', 'internal server error'), headers: {} };
  }

  private fromHttpException(exception: HttpException): object {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null) {
      // Ours (ApiError), or a body of another shape made on purpose (Terminus' health report): as is.
      if ('code' in response || !('message' in response)) return response;
    }
    // Nest's own exceptions (e.g. 404 for an unknown route): give them our shape.
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message).join('; ')
          : String((response as { message?: unknown }).message ?? exception.message);
    const fallback = ApiError.body(status, '', MESSAGES_BY_STATUS[status] ?? message);
    return { ...fallback, code: fallback.error.toUpperCase().replace(/\W+/g, '_') };
  }
}
