import { ConfigValidationError, loadAppConfig } from './load-config.js';

/** For specs: the problems `loadAppConfig` reports for `env`; fails if it accepts it. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}
