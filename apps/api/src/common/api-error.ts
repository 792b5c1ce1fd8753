import { HttpException, HttpStatus } from '@nestjs/common';

/** The JSON body of every error the API returns. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  /** Stable machine-readable code, e.g. LINK_NOT_FOUND. */
  code: string;
  message: string;
  details?: Array<{ field: string; rule: string; message: string }>;
}

const reasonOf = (status: number): string =>
  ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 410: 'Gone',
     413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error',
     503: 'Service Unavailable' })[status] ?? HttpStatus[status] ?? 'Error';

/** An HTTP error with a stable code; its body is sent as is by the global exception filter. */
export class ApiError extends HttpException {
  constructor(status: number, code: string, message: string, details?: ApiErrorBody['details']) {
    const body: ApiErrorBody = { statusCode: status, error: reasonOf(status), code, message, ...(details ? { details } : {}) };
    super(body, status);
  }

  static body(status: number, code: string, message: string): ApiErrorBody {
    return { statusCode: status, error: reasonOf(status), code, message };
  }
}
