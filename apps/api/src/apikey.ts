import { AppConfig, AppConfigModule, ConfigValidationError } from '@linkpool/config';
import { EmbeddedPostgres, type EmbeddedPostgresAddress, postgresOptions } from '@linkpool/database';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ApiKey } from './api-keys/api-key.entity.js';
import { runApiKeyCommand } from './api-keys/api-keys.cli.js';
import { ApiKeysRepository } from './api-keys/api-keys.repository.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { migrations } from './migrations/index.js';

/** The socket a running embedded-mode app serves PGlite on (see libs/database/src/embedded-postgres.ts). */
const EMBEDDED_SOCKET_PORT = 5432;

const isListening = (path: string) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * `npm run apikey -- create|list|revoke|generate` (see apikey.cli.ts): manages API keys in the
 * configured database (same configuration and migrations as the app). In the embedded mode it
 * joins the running app's PGlite through its socket, or starts PGlite itself when the app is not
 * running (two processes must never open the same PGlite data directory).
 * No side effect on import, so it can also be one of main.ts' one-shot commands.
 * @param args the command and its arguments, e.g. ['create', 'ci-deploy']
 * @returns the process exit code
 */
export async function apikey(args: string[]): Promise<number> {
  let dataSource: DataSource | undefined;
  let embedded: EmbeddedPostgres | undefined;
  const open = async () => {
    const { config } = await AppConfigModule.load();
    dataSource = await openDatabase(config, (started) => (embedded = started));
    return new ApiKeysService(new ApiKeysRepository(dataSource.getRepository(ApiKey)), config);
  };
  try {
    return await runApiKeyCommand(args, open, { out: (line) => console.log(line), err: (line) => console.error(line) });
  } catch (error) {
    console.error(error instanceof ConfigValidationError ? error.message : `apikey: ${(error as Error)?.message ?? error}`);
    return 1;
  } finally {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

async function openDatabase(config: AppConfig, onEmbeddedStart: (embedded: EmbeddedPostgres) => void): Promise<DataSource> {
  const db = config.database;
  let address: EmbeddedPostgresAddress | undefined;
  if (db.kind === 'embedded') {
    address = { socketDir: db.dataDir, port: EMBEDDED_SOCKET_PORT };
    if (!(await isListening(join(db.dataDir, `.s.PGSQL.${EMBEDDED_SOCKET_PORT}`)))) {
      const embedded = new EmbeddedPostgres();
      onEmbeddedStart(embedded);
      address = await embedded.start(db.dataDir, 2);
    }
  }
  const dataSource = new DataSource({ ...postgresOptions({ ...db, poolSize: 1 }, address), entities: [ApiKey], migrations });
  return dataSource.initialize();
}
