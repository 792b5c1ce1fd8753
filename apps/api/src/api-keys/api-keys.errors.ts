import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';

export class ApiKeyMissingError extends ApiError {
  constructor() {
    super(HttpStatus.UNAUTHORIZED, 'API_KEY_MISSING', 'an API key is required: send it in the x-api-key header or as Authorization: Bearer <key>');
  }
}

export class ApiKeyInvalidError extends ApiError {
  constructor() {
    super(HttpStatus.UNAUTHORIZED, 'API_KEY_INVALID', 'the API key is not valid');
  }
}

export class ApiKeyRevokedError extends ApiError {
  constructor(prefix: string) {
    super(HttpStatus.FORBIDDEN, 'API_KEY_REVOKED', `the API key ${prefix}… has been revoked`);
  }
}

/** A key management command (CLI) that cannot be carried out; its message is shown as is. */
export class ApiKeyCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeyCommandError';
  }
}
