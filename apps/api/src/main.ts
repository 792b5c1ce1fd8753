import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppConfigModule, ConfigValidationError } from '@linkpool/config';
import { createApp } from './app.factory.js';
import { apikey } from './apikey.js';
import { migrate } from './migrate.js';

/** One-shot commands of the same build: `node main.js migrate`, `node main.js apikey create ci`. */
const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { migrate, apikey };

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = await AppConfigModule.load();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const { config } = loaded;
  const app = await createApp(loaded);
  const logger = new Logger('Bootstrap');

  // Shutdown order: stop accepting and finish in-flight requests (Fastify close), flush the
  // click buffer, then close Redis and the Postgres pool (Nest's shutdown hooks, in that order).
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: shutting down`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown took longer than ${config.http.shutdownTimeoutMs} ms: exiting`);
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    deadline.unref();
    // Fastify closes the connections idle at that moment; keep-alive connections that finish
    // their request afterwards would otherwise hold the close open until their keep-alive timeout.
    const server = app.getHttpServer();
    setInterval(() => server.closeIdleConnections(), 100).unref();
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error(`shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  logger.log(`linkpool listening on ${await app.getUrl()} (short links as ${config.baseUrl}/<code>)`);
}

const command = process.argv[2];
if (command === undefined) {
  await main();
} else if (COMMANDS[command]) {
  process.exit(await COMMANDS[command](process.argv.slice(3)));
} else {
  console.error(`unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
  process.exit(2);
}
