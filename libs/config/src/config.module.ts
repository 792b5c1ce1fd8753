import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config.js';
import { loadAppConfig } from './load-config.js';

export interface LoadConfigOptions {
  /** Variables laid over `.env` and the process environment (tests use this instead of mutating process.env). */
  env?: Record<string, string | undefined>;
  /** Skip reading `.env` from the working directory. */
  ignoreEnvFile?: boolean;
}

export interface LoadedConfig {
  config: AppConfig;
  /** Global module providing {@link AppConfig} (and @nestjs/config's ConfigService) to the app. */
  module: DynamicModule;
}

/**
 * Configuration, read once at boot: `.env` and the process environment go through
 * @nestjs/config, are validated by {@link loadAppConfig}, and become one frozen, typed
 * {@link AppConfig}. Loading happens before the Nest app is created, because the HTTP
 * adapter itself needs settings (body limit, port).
 */
@Module({})
export class AppConfigModule {
  /** @throws ConfigValidationError naming every bad variable. */
  static async load(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
    let config: AppConfig | undefined;
    const configModule = await ConfigModule.forRoot({
      ignoreEnvFile: options.ignoreEnvFile,
      validate: (raw) => {
        config = loadAppConfig({ ...raw, ...options.env });
        return { linkpool: config };
      },
    });
    return {
      config: config!,
      module: {
        module: AppConfigModule,
        global: true,
        imports: [configModule],
        providers: [{ provide: AppConfig, useValue: config }],
        exports: [AppConfig],
      },
    };
  }
}
