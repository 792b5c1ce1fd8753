import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppConfig } from '@linkpool/config';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { RateLimitedError } from './rate-limit.errors.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { buildThrottlers } from './throttlers.js';

const limits: AppConfig['rateLimit'] = {
  enabled: true,
  windowMs: 60_000,
  createPerKey: 3,
  createPerIp: 2,
  apiPerKey: 5,
  apiPerIp: 4,
  redirectPerIp: 0,
};

class Handler {
  handle() {}
}

function call(method: string, route: string | undefined, caller: { apiKey?: unknown; ip?: string } = {}) {
  const request = { method, routeOptions: { url: route }, headers: {}, ip: caller.ip ?? '203.0.113.9', apiKey: caller.apiKey };
  const headers: Record<string, unknown> = {};
  const reply = {
    header: (name: string, value: unknown) => (headers[name] = value),
    headers: (all: Record<string, unknown>) => Object.assign(headers, all),
  };
  const context = {
    getType: () => 'http',
    getHandler: () => Handler.prototype.handle,
    getClass: () => Handler,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { context, headers };
}

async function guardFor(overrides: Partial<AppConfig['rateLimit']> = {}) {
  const rateLimit = { ...limits, ...overrides };
  const storage = new ThrottlerStorageService();
  const guard = new RateLimitGuard({ throttlers: buildThrottlers(rateLimit) }, storage, new Reflector(), { rateLimit } as AppConfig);
  await guard.onModuleInit();
  return { guard, storage };
}

const key = (id: string) => ({ id, name: id, prefix: 'lp_xxxxxxx' });

describe('RateLimitGuard', () => {
  it('limits link creation per API key, then answers 429 with Retry-After', async () => {
    const { guard } = await guardFor();
    for (let i = 0; i < 3; i++) expect(await guard.canActivate(call('POST', '/api/links', { apiKey: key('1') }).context)).toBe(true);
    const blocked = call('POST', '/api/links', { apiKey: key('1') });
    await expect(guard.canActivate(blocked.context)).rejects.toBeInstanceOf(RateLimitedError);
    expect(blocked.headers['retry-after']).toBeGreaterThan(0);
    expect(blocked.headers).toMatchObject({ 'x-ratelimit-limit': 3, 'x-ratelimit-remaining': 0 });
    // Another key has its own budget.
    expect(await guard.canActivate(call('POST', '/api/links', { apiKey: key('2') }).context)).toBe(true);
  });

  it('limits per IP where the API runs open (no key on the request)', async () => {
    const { guard } = await guardFor();
    for (let i = 0; i < 2; i++) await guard.canActivate(call('POST', '/api/links', { apiKey: null }).context);
    await expect(guard.canActivate(call('POST', '/api/links', { apiKey: null }).context)).rejects.toBeInstanceOf(RateLimitedError);
    expect(await guard.canActivate(call('POST', '/api/links', { apiKey: null, ip: '198.51.100.1' }).context)).toBe(true);
  });

  it('gives the rest of the API one budget per caller across routes, apart from creation', async () => {
    const { guard } = await guardFor();
    const routes = ['/api/links', '/api/links/:code', '/api/links/:code/stats'];
    for (let i = 0; i < 5; i++) await guard.canActivate(call(i % 2 ? 'GET' : 'PATCH', routes[i % 3], { apiKey: key('1') }).context);
    await expect(guard.canActivate(call('DELETE', '/api/links/:code', { apiKey: key('1') }).context)).rejects.toBeInstanceOf(RateLimitedError);
    expect(await guard.canActivate(call('POST', '/api/links', { apiKey: key('1') }).context)).toBe(true);
  });

  it('never counts the redirect path, health or docs by default', async () => {
    const { guard, storage } = await guardFor({ createPerIp: 1, apiPerIp: 1 });
    for (const route of ['/:code', '/health/ready', '/docs', undefined]) {
      for (let i = 0; i < 5; i++) expect(await guard.canActivate(call('GET', route).context)).toBe(true);
    }
    expect(storage.storage.size).toBe(0);
  });

  it('limits the redirect path per IP when opted in', async () => {
    const { guard } = await guardFor({ redirectPerIp: 2 });
    for (let i = 0; i < 2; i++) expect(await guard.canActivate(call('GET', '/:code').context)).toBe(true);
    await expect(guard.canActivate(call('GET', '/:code').context)).rejects.toBeInstanceOf(RateLimitedError);
    expect(await guard.canActivate(call('GET', '/health/ready').context)).toBe(true);
  });

  it('does nothing at all with RATE_LIMIT_ENABLED=false', async () => {
    const { guard, storage } = await guardFor({ enabled: false, createPerKey: 1 });
    for (let i = 0; i < 5; i++) expect(await guard.canActivate(call('POST', '/api/links', { apiKey: key('1') }).context)).toBe(true);
    expect(storage.storage.size).toBe(0);
  });
});
