import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiError, type ApiErrorBody } from './api-error.js';

type Detail = NonNullable<ApiErrorBody['details']>[number];

const flatten = (errors: ValidationError[], parent = ''): Detail[] =>
  errors.flatMap((error) => {
    const field = error.property ? (parent ? `${parent}.${error.property}` : error.property) : parent || 'body';
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      rule,
      // class-validator's message for a non-object body ("an unknown value was passed...") helps no one.
      message: rule === 'unknownValue' ? 'body must be a JSON object' : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });

const notAnObject = () => new ApiError(400, 'VALIDATION_FAILED', 'body must be a JSON object', [
  { field: 'body', rule: 'isObject', message: 'body must be a JSON object' },
]);

/** Deeper than any DTO needs; class-transformer recurses per level and overflows the stack in the thousands. */
const MAX_BODY_DEPTH = 32;

/** Whether `value` nests objects/arrays deeper than `max` (iterative: deep input cannot overflow it). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

class ApiValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && nestsDeeperThan(value, MAX_BODY_DEPTH)) {
      const message = `body must not nest deeper than ${MAX_BODY_DEPTH} levels`;
      throw new ApiError(400, 'VALIDATION_FAILED', message, [{ field: 'body', rule: 'maxDepth', message }]);
    }
    // Arrays, strings, numbers, null or no body at all, where a DTO expects an object.
    if (metadata.type === 'body' && metadata.metatype && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw notAnObject();
    }
    return super.transform(value, metadata);
  }
}

/**
 * The one validation pipe: strips nothing silently (unknown fields are errors) and answers
 * 400 with every broken rule, e.g. `{ field: "url", rule: "isHttpUrl", message: "url must be ..." }`.
 */
export const createValidationPipe = () =>
  new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      return new ApiError(400, 'VALIDATION_FAILED', details.map((d) => d.message).join('; ') || 'invalid input', details);
    },
  });
