import { registerDecorator, type ValidationOptions } from 'class-validator';

export const MAX_URL_LENGTH = 2048;
// C0 controls, DEL, C1 controls, and whitespace: none belongs in a URL we would put in a Location header.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_URL_CHARS = /[\u0000-\u0020\u007f-\u009f]/;

/** Why `value` is not a URL linkpool will redirect to, or null when it is fine. */
export function httpUrlProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  if (FORBIDDEN_URL_CHARS.test(value)) return 'must not contain spaces or control characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an absolute http or https URL';
  if (!url.hostname) return 'must name a host';
  if (url.username || url.password) return 'must not contain credentials (user:password@)';
  if (url.href.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters once normalized`;
  return null;
}

/** An absolute http(s) URL without credentials or control characters, at most 2048 characters. */
export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isHttpUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => httpUrlProblem(value) === null,
        defaultMessage: (args) => `${args?.property} ${httpUrlProblem(args?.value) ?? 'is invalid'}`,
      },
    });
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether `value` is an ISO 8601 date-time with a zone naming a real day (Date.parse turns 30 February into 2 March). */
export function isIsoDateTime(value: string): boolean {
  const match = ISO_DATE_TIME.exec(value);
  if (!match || !Number.isFinite(Date.parse(value))) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day && month >= 1 && month <= 12;
}

/** An ISO 8601 date-time with a time zone, later than now. */
export function IsFutureDateTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isFutureDateTime',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isIsoDateTime(value) && Date.parse(value) > Date.now(),
        defaultMessage: (args) =>
          typeof args?.value === 'string' && isIsoDateTime(args.value)
            ? `${args.property} must be in the future`
            : `${args?.property} must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T12:00:00Z`,
      },
    });
}

/** Checks a string with `test`; reports `rule` (e.g. "must not be a reserved path"). */
export function Satisfies(test: (value: string) => boolean, name: string, rule: string, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && test(value),
        defaultMessage: (args) => `${args?.property} ${rule}`,
      },
    });
}
