import { ConfigValidationError, loadAppConfig } from '@linkpool/config';

/** The variables of the in-process cache level (declared in libs/config). */
describe('CACHE_LOCAL_* configuration', () => {
  it('defaults to 10 s entries, at most 100,000 of them', () => {
    expect(loadAppConfig({}).cache).toMatchObject({ localTtlMs: 10_000, localMaxEntries: 100_000 });
  });

  it('reads both, and 0 turns the level off', () => {
    expect(loadAppConfig({ CACHE_LOCAL_TTL_MS: '2500', CACHE_LOCAL_MAX_ENTRIES: '5000' }).cache).toMatchObject({
      localTtlMs: 2500,
      localMaxEntries: 5000,
    });
    expect(loadAppConfig({ CACHE_LOCAL_TTL_MS: '0', CACHE_LOCAL_MAX_ENTRIES: '0' }).cache).toMatchObject({ localTtlMs: 0, localMaxEntries: 0 });
  });

  it('names each bad value and its rule', () => {
    let problems: string[] = [];
    try {
      loadAppConfig({ CACHE_LOCAL_TTL_MS: 'soon', CACHE_LOCAL_MAX_ENTRIES: '-1' });
    } catch (error) {
      problems = (error as ConfigValidationError).problems;
    }
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.startsWith('CACHE_LOCAL_TTL_MS'))).toMatch(/integer number.*"soon"/);
    expect(problems.find((p) => p.startsWith('CACHE_LOCAL_MAX_ENTRIES'))).toMatch(/not be less than 0/);
    expect(() => loadAppConfig({ CACHE_LOCAL_TTL_MS: '3600001' })).toThrow(/CACHE_LOCAL_TTL_MS must not be greater than 3600000/);
  });
});
