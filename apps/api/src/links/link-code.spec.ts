import { CODE_PATTERN, GENERATED_CODE_LENGTH, generateCode, isReservedCode } from './link-code.js';

describe('link codes', () => {
  it('generates 7 base62 characters that satisfy the code pattern', () => {
    for (let i = 0; i < 1000; i++) {
      const code = generateCode();
      expect(code).toMatch(/^[0-9A-Za-z]{7}$/);
      expect(CODE_PATTERN.test(code)).toBe(true);
    }
    expect(GENERATED_CODE_LENGTH).toBe(7);
  });

  it('spreads generated codes over the alphabet (no collisions in 10,000 draws)', () => {
    const codes = new Set(Array.from({ length: 10_000 }, generateCode));
    expect(codes.size).toBe(10_000);
  });

  it('reserves the service paths, in any letter case', () => {
    for (const code of ['api', 'API', 'health', 'Docs', 'docs-json']) expect(isReservedCode(code)).toBe(true);
    for (const code of ['apis', 'my-docs', 'abc']) expect(isReservedCode(code)).toBe(false);
  });

  it.each(['ab', 'a'.repeat(65), 'a/b', 'a.b', 'ab%', 'abc ', 'caf\u00e9'])('rejects %j as a code', (code) => {
    expect(CODE_PATTERN.test(code)).toBe(false);
  });
});
