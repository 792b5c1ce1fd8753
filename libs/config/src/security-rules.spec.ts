import { problemsOf } from './config-problems.testing.js';
import { loadAppConfig } from './load-config.js';
import { API_KEY_PATTERN, parseTrustProxy } from './security-rules.js';


const KEY_A = 'lp_' + 'a1B2'.repeat(10);
const KEY_B = 'f'.repeat(64);

describe('security configuration', () => {
  it('defaults: no bootstrap keys, CORS off, no proxy trusted, limits on at 600/30 creations a minute', () => {
    const config = loadAppConfig({});
    expect(config.security).toEqual({ apiKeys: [], corsOrigins: false, trustProxy: false });
    expect(config.rateLimit).toEqual({
      enabled: true,
      windowMs: 60_000,
      createPerKey: 600,
      createPerIp: 30,
      apiPerKey: 3000,
      apiPerIp: 300,
      redirectPerIp: 0,
    });
  });

  it('reads API_KEYS as a list, ignoring blanks, spaces and duplicates', () => {
    expect(loadAppConfig({ API_KEYS: ` ${KEY_A}, ${KEY_B},,${KEY_A} ` }).security.apiKeys).toEqual([KEY_A, KEY_B]);
    expect(loadAppConfig({ API_KEYS: '' }).security.apiKeys).toEqual([]);
  });

  it('names a bad API_KEYS entry by position and never prints a key', () => {
    const problems = problemsOf({ API_KEYS: `${KEY_A},short-secret-value` });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^API_KEYS must be a comma-separated list of keys, each 32 to 256 characters/);
    expect(problems[0]).toMatch(/entry 2 is not/);
    expect(problems[0]).not.toContain('short-secret-value');
    expect(problems[0]).not.toContain(KEY_A);
  });

  it('hides the value of every secret variable in errors', () => {
    const [problem] = problemsOf({ API_KEYS: 'has spaces in it but is long enough to pass length' });
    expect(problem).toMatch(/value not shown/);
    expect(problem).not.toContain('spaces');
  });

  it('accepts * or a list of origins for CORS_ORIGINS, and rejects paths and other schemes', () => {
    expect(loadAppConfig({ CORS_ORIGINS: '*' }).security.corsOrigins).toBe('*');
    expect(loadAppConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).security.corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of ['https://app.example.com/', 'app.example.com', 'ftp://x.example', 'https://a.example/path']) {
      expect(problemsOf({ CORS_ORIGINS: bad })[0]).toMatch(/^CORS_ORIGINS must be \* or a comma-separated list of origins/);
    }
  });

  it('reads TRUST_PROXY as a boolean, a hop count or a list of addresses', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(loadAppConfig({ TRUST_PROXY: 'true' }).security.trustProxy).toBe(true);
    expect(loadAppConfig({ TRUST_PROXY: 'FALSE' }).security.trustProxy).toBe(false);
    expect(loadAppConfig({ TRUST_PROXY: '2' }).security.trustProxy).toBe(2);
    expect(loadAppConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,loopback,::1' }).security.trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'loopback',
      '::1',
    ]);
    for (const bad of ['yes-please', '10.0.0.0/33', '300', 'lb.internal']) {
      expect(problemsOf({ TRUST_PROXY: bad })[0]).toMatch(/^TRUST_PROXY must be true, false, a hop count/);
    }
  });

  it('reads every limit, and RATE_LIMIT_ENABLED=false', () => {
    const config = loadAppConfig({
      RATE_LIMIT_ENABLED: 'false',
      RATE_LIMIT_WINDOW_SECONDS: '10',
      RATE_LIMIT_CREATE_PER_KEY: '5',
      RATE_LIMIT_CREATE_PER_IP: '2',
      RATE_LIMIT_API_PER_KEY: '50',
      RATE_LIMIT_API_PER_IP: '20',
      RATE_LIMIT_REDIRECT_PER_IP: '100',
    });
    expect(config.rateLimit).toEqual({
      enabled: false,
      windowMs: 10_000,
      createPerKey: 5,
      createPerIp: 2,
      apiPerKey: 50,
      apiPerIp: 20,
      redirectPerIp: 100,
    });
  });

  it('checks limits type first, then range', () => {
    const problems = problemsOf({ RATE_LIMIT_CREATE_PER_KEY: 'lots', RATE_LIMIT_WINDOW_SECONDS: '0', RATE_LIMIT_ENABLED: 'sometimes' });
    expect(problems).toHaveLength(3);
    expect(problems.find((p) => p.startsWith('RATE_LIMIT_CREATE_PER_KEY'))).toMatch(/must be an integer number \(got "lots"\)/);
    expect(problems.find((p) => p.startsWith('RATE_LIMIT_WINDOW_SECONDS'))).toMatch(/must not be less than 1/);
    expect(problems.find((p) => p.startsWith('RATE_LIMIT_ENABLED'))).toMatch(/true or false/);
  });

  it('matches generated-style keys and refuses short or odd ones', () => {
    expect(API_KEY_PATTERN.test(KEY_A)).toBe(true);
    expect(API_KEY_PATTERN.test('lp_test_0123456789abcdef0123456789abcdef')).toBe(true);
    for (const bad of ['x'.repeat(31), 'x'.repeat(257), `${'x'.repeat(40)}=`, `${'x'.repeat(40)} `]) {
      expect(API_KEY_PATTERN.test(bad)).toBe(false);
    }
  });
});
