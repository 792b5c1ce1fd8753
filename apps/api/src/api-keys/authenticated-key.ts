/** The caller of an API request, once its key has been checked (no secret in here). */
export interface AuthenticatedKey {
  id: string;
  name: string;
  prefix: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by ApiKeyGuard on API routes: the caller's key, or null where the API runs open. */
    apiKey?: AuthenticatedKey | null;
  }
}
