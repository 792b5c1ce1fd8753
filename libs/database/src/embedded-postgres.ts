import { Injectable, Logger } from '@nestjs/common';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Postgres' own socket naming: a client given host=<dir>, port=<n> connects to <dir>/.s.PGSQL.<n>. */
const SOCKET_PORT = 5432;

export interface EmbeddedPostgresAddress {
  /** Directory holding the unix socket; pass it to pg as `host`. */
  socketDir: string;
  port: number;
}

interface RunningServer {
  db: { close(): Promise<void> };
  server: { stop(): Promise<void> };
}

async function loadPglite() {
  try {
    const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-socket'),
    ]);
    return { PGlite, PGLiteSocketServer };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'No database configured, and this build has no embedded database (the container image ships without PGlite): set DATABASE_URL or DB_HOST',
    );
  }
}

/**
 * The zero-install database: PGlite (Postgres compiled to WebAssembly) served over a unix
 * socket, so the app talks to it through the same `pg` pool, TypeORM code and migrations
 * as to a real server. Used only when no database is configured.
 */
@Injectable()
export class EmbeddedPostgres {
  private readonly logger = new Logger('EmbeddedPostgres');
  private running?: RunningServer;

  async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgresAddress> {
    // Loaded lazily: the embedded mode is the only user, and the container image ships without it.
    const { PGlite, PGLiteSocketServer } = await loadPglite();
    const socketDir = dataDir;
    const socketPath = join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
    await mkdir(join(dataDir, 'pglite'), { recursive: true });
    // A socket file left by a killed process would make listen() fail with EADDRINUSE.
    await rm(socketPath, { force: true });

    const db = await PGlite.create(join(dataDir, 'pglite'));
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections });
    await server.start();
    this.running = { db, server };
    this.logger.warn(
      `No database configured: running on embedded PGlite (data in ${join(dataDir, 'pglite')}). ` +
        'For production set DATABASE_URL or DB_HOST.',
    );
    return { socketDir, port: SOCKET_PORT };
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    await running.server.stop();
    await running.db.close();
  }
}
