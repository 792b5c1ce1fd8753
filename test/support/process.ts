import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { TEST_API_KEY, freePort, waitFor } from './services.js';

const MAIN = resolve(import.meta.dirname, '../../dist/apps/api/main.js');

export interface AppProcess {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Headers for an /api call to a spawned app: the API key every app is started with, plus `extra`. */
export const apiHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({ 'x-api-key': TEST_API_KEY, ...extra });

/** Runs the built service (`dist/apps/api/main.js`, as `npm run start:prod` does) as a real process. */
export async function spawnApp(env: Record<string, string>, { waitReady = true } = {}): Promise<AppProcess> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', API_KEYS: TEST_API_KEY, BASE_URL: `http://127.0.0.1:${port}`, ...env },
    cwd: resolve(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? -1)));
  const app = { child, baseUrl: `http://127.0.0.1:${port}`, output: () => output, exited };
  if (waitReady) {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the app exited early:\n${output}`);
        return (await fetch(`${app.baseUrl}/health/ready`)).status === 200;
      },
      20_000,
      'the app to be ready',
    );
  }
  return app;
}
