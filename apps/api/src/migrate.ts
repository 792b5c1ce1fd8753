import { AppConfigModule, ConfigValidationError } from '@linkpool/config';
import { postgresOptions } from '@linkpool/database';
import { DataSource } from 'typeorm';
import { Link } from './links/link.entity.js';
import { migrations } from './migrations/index.js';

/**
 * `npm run migration:run` (`main.js migrate`): applies pending migrations to the configured
 * Postgres server. The embedded database is migrated by the app itself at boot.
 * @returns the process exit code
 */
export async function migrate(): Promise<number> {
  let config;
  try {
    ({ config } = await AppConfigModule.load());
  } catch (error) {
    console.error(error instanceof ConfigValidationError ? error.message : error);
    return 1;
  }
  if (config.database.kind !== 'server') {
    console.error('migration:run needs DATABASE_URL or DB_HOST; the embedded database is migrated at boot');
    return 1;
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
  return 0;
}
