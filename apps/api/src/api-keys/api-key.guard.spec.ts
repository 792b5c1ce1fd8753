import type { ExecutionContext } from '@nestjs/common';
import { ApiKeyGuard, presentedKey } from './api-key.guard.js';
import { ApiKeyMissingError } from './api-keys.errors.js';
import type { ApiKeysService } from './api-keys.service.js';

const KEY = 'lp_' + 'k'.repeat(43);

function contextFor(route: string | undefined, headers: Record<string, string> = {}) {
  const request: Record<string, unknown> = { routeOptions: { url: route }, headers };
  const replyHeaders: Record<string, string> = {};
  const reply = { header: (name: string, value: string) => (replyHeaders[name] = value) };
  const context = {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { context, request, replyHeaders };
}

describe('ApiKeyGuard', () => {
  const authenticate = vi.fn();
  const guard = new ApiKeyGuard({ authenticate } as unknown as ApiKeysService);

  beforeEach(() => {
    authenticate.mockReset();
  });

  it('reads x-api-key first, else a Bearer token; anything else is no key', () => {
    expect(presentedKey({ 'x-api-key': ` ${KEY} ` })).toBe(KEY);
    expect(presentedKey({ 'x-api-key': KEY, authorization: 'Bearer other' })).toBe(KEY);
    expect(presentedKey({ authorization: `Bearer ${KEY}` })).toBe(KEY);
    expect(presentedKey({ authorization: `bearer   ${KEY}` })).toBe(KEY);
    expect(presentedKey({ authorization: `Basic ${KEY}` })).toBeUndefined();
    expect(presentedKey({ authorization: 'Bearer two words' })).toBeUndefined();
    expect(presentedKey({ 'x-api-key': '  ' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });

  it.each(['/:code', '/health/ready', '/health/live', '/docs', '/docs-json', undefined])('lets %s through without a lookup', (route) => {
    expect(guard.canActivate(contextFor(route).context)).toBe(true);
    expect(authenticate).not.toHaveBeenCalled();
  });

  it.each(['/api/links', '/api/links/:code', '/api/links/:code/stats'])('checks the key on %s and leaves the caller on the request', async (route) => {
    const caller = { id: '7', name: 'ci', prefix: 'lp_kkkkkkk' };
    authenticate.mockResolvedValue(caller);
    const { context, request } = contextFor(route, { 'x-api-key': KEY });
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(authenticate).toHaveBeenCalledWith(KEY);
    expect(request.apiKey).toBe(caller);
  });

  it('answers a refusal with WWW-Authenticate', async () => {
    authenticate.mockRejectedValue(new ApiKeyMissingError());
    const { context, replyHeaders } = contextFor('/api/links');
    await expect(guard.canActivate(context)).rejects.toBeInstanceOf(ApiKeyMissingError);
    expect(replyHeaders['www-authenticate']).toBe('Bearer realm="linkpool"');
  });
});
