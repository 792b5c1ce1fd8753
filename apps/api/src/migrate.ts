import 'reflect-metadata';
import { AppConfigModule, ConfigValidationError } from '@linkpool/config';
import { postgresOptions } from '@linkpool/database';
import { DataSource } from 'typeorm';
import { Link } from './links/link.entity.js';
import { migrations } from './migrations/index.js';

/**
 * `npm run migration:run`: applies pending migrations to the configured Postgres server and exits.
 * (The embedded database is migrated by the app itself at boot.)
 */
async function migrate(): Promise<void> {
  const { config } = await AppConfigModule.load();
  if (config.database.kind !== 'server') {
    console.error('migration:run needs DATABASE_URL or DB_HOST; the embedded database is migrated at boot');
    process.exit(1);
  }
  const dataSource = new DataSource({
    ...postgresOptions({ ...config.database, poolSize: 1, runMigrations: false }),
    entities: [Link],
    migrations,
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'schema is up to date');
  } finally {
    await dataSource.destroy();
  }
}

await migrate().catch((error: unknown) => {
  console.error(error instanceof ConfigValidationError ? error.message : error);
  process.exit(1);
});
