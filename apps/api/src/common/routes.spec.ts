import { isApiRoute, isRedirectRoute } from './routes.js';

describe('route classes', () => {
  it('tells the management API from everything else', () => {
    for (const route of ['/api', '/api/links', '/api/links/:code', '/api/links/:code/stats']) expect(isApiRoute(route)).toBe(true);
    for (const route of ['/:code', '/health/ready', '/docs', '/docs-json', '/apis', undefined]) expect(isApiRoute(route)).toBe(false);
  });

  it('knows the redirect route', () => {
    expect(isRedirectRoute('/:code')).toBe(true);
    for (const route of ['/api/links/:code', '/health/live', undefined]) expect(isRedirectRoute(route)).toBe(false);
  });
});
