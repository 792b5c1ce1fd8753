import { type DynamicModule, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@linkpool/config';
import * as pg from 'pg';
import { DataSource, type DataSourceOptions, type MixedList } from 'typeorm';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { warmPool } from './pool.js';
import { PoolKeeper } from './pool-keeper.js';

export interface DatabaseModuleOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function>;
}

/** Connection settings shared by the app and the migration script. */
export function postgresOptions(
  config: AppConfig['database'],
  embedded?: { socketDir: string; port: number },
): DataSourceOptions {
  const location =
    config.kind === 'server'
      ? config.url
        ? { url: config.url }
        : { host: config.host, port: config.port, username: config.user, password: config.password, database: config.name }
      : { host: embedded!.socketDir, port: embedded!.port, username: 'postgres', database: 'postgres' };
  return {
    type: 'postgres',
    // Passed explicitly: TypeORM's own dynamic require of 'pg' cannot be followed by a bundler.
    driver: pg.default ?? pg,
    ...location,
    applicationName: config.applicationName,
    connectTimeoutMS: config.connectTimeoutMs,
    poolSize: config.poolSize,
    synchronize: false,
    migrationsRun: config.runMigrations,
    migrationsTransactionMode: 'each',
    // Query errors reach the exception filter (and its log); expected ones (a taken alias) are not noise.
    logging: ['warn', 'migration'],
    extra: {
      // min = max keeps the warmed connections: pg reaps idle clients only above `min`.
      min: config.poolSize,
      max: config.poolSize,
      keepAlive: true,
      statement_timeout: config.statementTimeoutMs,
    },
  };
}

/** Closes the data source before the embedded server it talks to goes away. */
@Injectable()
class EmbeddedPostgresLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly embedded: EmbeddedPostgres,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const dataSource = this.moduleRef.get(DataSource, { strict: false });
    if (dataSource?.isInitialized) await dataSource.destroy();
    await this.embedded.stop();
  }
}

@Module({ providers: [EmbeddedPostgres, EmbeddedPostgresLifecycle], exports: [EmbeddedPostgres] })
class EmbeddedPostgresModule {}

/**
 * TypeORM on Postgres with a warm pool: the data source is handed out only once
 * `DB_POOL_SIZE` connections are open and idle, and migrations (when enabled) have run.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    const logger = new Logger('Database');
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: [EmbeddedPostgresModule],
          inject: [AppConfig, EmbeddedPostgres],
          useFactory: async (config: AppConfig, embedded: EmbeddedPostgres) => {
            const db = config.database;
            const address =
              db.kind === 'embedded'
                ? await embedded.start(db.dataDir, db.poolSize + 5)
                : undefined;
            return {
              ...postgresOptions(db, address),
              entities: options.entities,
              migrations: options.migrations,
              // Fail fast at boot: an orchestrator restarts us, and Compose starts us only once Postgres is healthy.
              retryAttempts: 2,
              retryDelay: 1000,
            };
          },
          dataSourceFactory: async (dsOptions) => {
            const dataSource = await new DataSource(dsOptions!).initialize();
            const size = (dsOptions as { poolSize: number }).poolSize;
            const started = Date.now();
            await warmPool(dataSource, size);
            logger.log(`Postgres pool warm: ${size} connections open (${Date.now() - started} ms)`);
            return dataSource;
          },
        }),
      ],
      providers: [PoolKeeper],
      exports: [TypeOrmModule],
    };
  }
}
