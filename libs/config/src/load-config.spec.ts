import { resolve } from 'node:path';
import { problemsOf } from './config-problems.testing.js';
import { loadAppConfig } from './load-config.js';


describe('loadAppConfig', () => {
  it('defaults to the zero-install mode: embedded Postgres, in-process cache, pool of 10', () => {
    const config = loadAppConfig({});
    expect(config.database).toMatchObject({ kind: 'embedded', poolSize: 10, runMigrations: true, dataDir: resolve('.data') });
    expect(config.cache).toMatchObject({ kind: 'memory', ttlSeconds: 300 });
    expect(config.port).toBe(3000);
    expect(config.baseUrl).toBe('http://localhost:3000');
  });

  it('reads a Postgres server and Redis from URLs', () => {
    const config = loadAppConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/links',
      REDIS_URL: 'redis://cache:6380',
      DB_POOL_SIZE: '25',
      RUN_MIGRATIONS: 'false',
      BASE_URL: 'https://sho.rt/',
    });
    expect(config.database).toMatchObject({ kind: 'server', url: 'postgres://u:p@db:5432/links', poolSize: 25, runMigrations: false });
    expect(config.cache).toMatchObject({ kind: 'redis', url: 'redis://cache:6380' });
    expect(config.baseUrl).toBe('https://sho.rt');
  });

  it('reads a Postgres server and Redis from host variables, as Compose sets them', () => {
    const config = loadAppConfig({ DB_HOST: 'postgres', DB_USER: 'linkpool', DB_NAME: 'linkpool', REDIS_HOST: 'redis' });
    expect(config.database).toMatchObject({ kind: 'server', host: 'postgres', port: 5432, user: 'linkpool', name: 'linkpool' });
    expect(config.cache).toMatchObject({ kind: 'redis', host: 'redis', port: 6379 });
  });

  it('names every bad variable and its rule in one error', () => {
    const problems = problemsOf({ PORT: 'eighty', DB_POOL_SIZE: '0', LOG_LEVEL: 'loud', REDIS_URL: 'http://x', RUN_MIGRATIONS: 'maybe' });
    expect(problems).toHaveLength(5);
    expect(problems.find((p) => p.startsWith('PORT'))).toMatch(/PORT must be an integer number.*"eighty"/);
    expect(problems.find((p) => p.startsWith('DB_POOL_SIZE'))).toMatch(/must not be less than 1/);
    expect(problems.find((p) => p.startsWith('LOG_LEVEL'))).toMatch(/one of fatal, error/);
    expect(problems.find((p) => p.startsWith('REDIS_URL'))).toMatch(/redis:\/\//);
    expect(problems.find((p) => p.startsWith('RUN_MIGRATIONS'))).toMatch(/true or false/);
  });

  it('refuses two locations for one service', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://a/b', DB_HOST: 'c' })).toEqual([
      'DATABASE_URL and DB_HOST are both set: set one of them',
    ]);
    expect(problemsOf({ REDIS_URL: 'redis://a', REDIS_HOST: 'b' })).toEqual(['REDIS_URL and REDIS_HOST are both set: set one of them']);
  });

  it('treats an empty variable as unset', () => {
    expect(loadAppConfig({ DATABASE_URL: '', REDIS_HOST: '' }).database.kind).toBe('embedded');
  });
});
