import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';

export class RateLimitedError extends ApiError {
  constructor(limit: number, windowSeconds: number, retryAfterSeconds: number) {
    super(
      HttpStatus.TOO_MANY_REQUESTS,
      'RATE_LIMITED',
      `too many requests: at most ${limit} per ${windowSeconds} s; retry in ${retryAfterSeconds} s`,
    );
  }
}
