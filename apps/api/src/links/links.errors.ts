import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';

export class LinkNotFoundError extends ApiError {
  constructor(code: string) {
    super(HttpStatus.NOT_FOUND, 'LINK_NOT_FOUND', `no link has the code "${code}"`);
  }
}

export class LinkExpiredError extends ApiError {
  constructor(code: string) {
    super(HttpStatus.GONE, 'LINK_EXPIRED', `the link "${code}" has expired`);
  }
}

export class AliasTakenError extends ApiError {
  constructor(alias: string) {
    super(HttpStatus.CONFLICT, 'ALIAS_TAKEN', `alias "${alias}" is already taken`);
  }
}

export class CodeSpaceExhaustedError extends ApiError {
  constructor(attempts: number) {
    super(HttpStatus.SERVICE_UNAVAILABLE, 'CODE_GENERATION_FAILED', `no free code found after ${attempts} attempts; retry`);
  }
}
