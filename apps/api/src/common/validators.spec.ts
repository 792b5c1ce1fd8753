import { httpUrlProblem, isIsoDateTime } from './validators.js';

describe('httpUrlProblem', () => {
  it.each([
    'https://example.com',
    'http://example.com:8080/path?q=1#frag',
    'https://xn--caf-dma.example/ü',
    'http://intranet/wiki',
    `https://example.com/${'a'.repeat(2000)}`,
  ])('accepts %s', (url) => {
    expect(httpUrlProblem(url)).toBeNull();
  });

  it.each([
    [42, 'must be a string'],
    ['example.com', 'must be an absolute http or https URL'],
    ['/relative', 'must be an absolute http or https URL'],
    ['javascript:alert(1)', 'must be an absolute http or https URL'],
    ['JAVASCRIPT:alert(1)', 'must be an absolute http or https URL'],
    ['data:text/html,x', 'must be an absolute http or https URL'],
    ['file:///etc/passwd', 'must be an absolute http or https URL'],
    ['ftp://example.com/', 'must be an absolute http or https URL'],
    ['https://user:pass@example.com/', 'must not contain credentials (user:password@)'],
    ['https://user@example.com/', 'must not contain credentials (user:password@)'],
    ['https://example.com/\r\nX-Injected: 1', 'must not contain spaces or control characters'],
    ['https://exa mple.com/', 'must not contain spaces or control characters'],
    ['https://example.com/\u0000', 'must not contain spaces or control characters'],
    [`https://example.com/${'a'.repeat(2040)}`, 'must be at most 2048 characters'],
    [`https://example.com/${'ü'.repeat(600)}`, 'must be at most 2048 characters once normalized'],
  ])('rejects %j: %s', (url, problem) => {
    expect(httpUrlProblem(url)).toBe(problem);
  });
});

describe('isIsoDateTime', () => {
  it.each(['2030-01-31T12:00:00Z', '2030-02-28T00:00Z', '2032-02-29T23:59:59.123+02:00'])('accepts %s', (value) => {
    expect(isIsoDateTime(value)).toBe(true);
  });

  it.each(['2030-02-30T12:00:00Z', '2031-02-29T00:00:00Z', '2030-13-01T00:00:00Z', '2030-01-01T25:00:00Z', '2030-01-01T12:00:00', '2030-01-01', 'tomorrow'])(
    'rejects %s',
    (value) => {
      expect(isIsoDateTime(value)).toBe(false);
    },
  );
});
