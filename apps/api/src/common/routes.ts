/**
 * Route patterns (Fastify's `request.routeOptions.url`) that the security layers tell apart:
 * the management API needs a key and is rate limited; the redirect path (the hot path) is not.
 */
export const API_ROUTE_PREFIX = '/api/';
/** RedirectController's catch-all route. */
export const REDIRECT_ROUTE = '/:code';

export const isApiRoute = (route: string | undefined): boolean =>
  route !== undefined && (route === '/api' || route.startsWith(API_ROUTE_PREFIX));

export const isRedirectRoute = (route: string | undefined): boolean => route === REDIRECT_ROUTE;
