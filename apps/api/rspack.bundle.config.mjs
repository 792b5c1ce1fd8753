// @ts-check
/**
 * Production bundle: the whole service as ONE self-contained ES module, `dist/bundle/main.mjs`,
 * which runs with no node_modules at all (this is what the container image ships).
 *
 *   npm run build:bundle
 *   # = nest build api -p apps/api/tsconfig.bundle.json --rspackPath apps/api/rspack.bundle.config.mjs
 *   # (that tsconfig only moves outDir to dist/bundle, so the CLI's deleteOutDir clears the
 *   #  bundle's directory and leaves the development build in dist/apps/api alone)
 *
 * `npm run build` / `npm start` do not read this file: they keep the nest CLI's default rspack
 * setup (dependencies left in node_modules, unminified, source maps).
 *
 * The traps this config deals with:
 *  - Node built-ins are externals of type `node-commonjs` (createRequire), so that both the
 *    CommonJS dependencies' `require('fs')` and ESM `import ... from 'node:fs'` work from an ESM file.
 *  - Optional peers that are not installed (other TypeORM drivers, pg-native, Nest's
 *    microservices/websockets, ...) become lazy externals or are ignored: they are only ever
 *    loaded inside try/catch or behind a feature the service does not use.
 *  - PGlite (`@electric-sql/pglite*`) stays out: only the zero-install mode imports it,
 *    dynamically; the image always runs against a real Postgres.
 *  - One chunk (`asyncChunks: false`): dynamic imports are inlined instead of split into files.
 *  - The minifier keeps class and function names: Nest's DI tokens, TypeORM's entity and
 *    migration names and the logger contexts are derived from them.
 *  - `createRequire(import.meta.url)('pkg')` in dependencies is parsed into bundled requires, and
 *    import.meta is left to run time: nothing may resolve from the build machine's node_modules
 *    (a guard fails the build if a build-tree path ends up in the bundle).
 *  - Swagger UI's static assets are copied to `dist/bundle/swagger-ui/` and
 *    `swagger-ui-dist/absolute-path.js` is replaced to point there, so /docs works too.
 */
import { existsSync } from 'node:fs';
import { createRequire, builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

/** Where the bundle and its assets land (the Dockerfile's runtime stage copies this directory;
 *  apps/api/tsconfig.bundle.json names the same directory as its outDir). */
export const OUT_DIR = join(root, 'dist/bundle');
export const BUNDLE_FILE = 'main.mjs';

/** Swagger UI files the page served at /docs references (plus the licence that must travel with them). */
const SWAGGER_UI_ASSETS = [
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-16x16.png',
  'favicon-32x32.png',
  'oauth2-redirect.html',
  'oauth2-redirect.js',
  'LICENSE',
  'NOTICE',
];

/** Only the zero-install (embedded database) mode loads these, with a dynamic import(). */
const EXCLUDED = /^@electric-sql\/pglite/;

/**
 * Optional peers of the bundled libraries. Each is loaded lazily (a require/import inside
 * try/catch, or behind a feature this service does not use). When one is NOT installed it would
 * fail the build; it becomes an external instead, which could only fail if ever reached at run
 * time. When it IS installed (e.g. @fastify/middie, a dependency of @nestjs/platform-fastify),
 * it is bundled like anything else.
 */
const OPTIONAL_PEERS = [
  // TypeORM: drivers other than pg (which is passed explicitly), its CLI/tooling peers
  /^(mysql2?|oracledb|mssql|mongodb|better-sqlite3|sqlite3|sql\.js|expo-sqlite|react-native-sqlite-storage|typeorm-aurora-data-api-driver)(\/|$)/,
  /^(@google-cloud\/spanner|@sap\/hana-client|hdb-pool|pg-native|pg-query-stream|ioredis|redis)(\/|$)/,
  /^(ts-node|@swc\/core)(\/|$)/,
  // Nest: transports and integrations that are not used
  /^@nestjs\/(microservices|websockets|axios|mongoose|sequelize|platform-express)(\/|$)/,
  /^(@grpc\/grpc-js|@grpc\/proto-loader|@mikro-orm\/core|@prisma\/client|mongoose|sequelize|kafkajs|mqtt|nats|amqplib|amqp-connection-manager)(\/|$)/,
  /^(@fastify\/view|@fastify\/middie|@fastify\/multipart|point-of-view)(\/|$)/,
  // node-redis: tracing and the DIGEST command's hash; pino's pretty printer: none used
  /^(@opentelemetry\/api|@node-rs\/xxhash|pino-pretty)(\/|$)/,
];

const packageName = (request) => request.split('/').slice(0, request.startsWith('@') ? 2 : 1).join('/');

/** Whether `request`'s package is installed where Node would look for it from `context`. */
function isInstalled(request, context) {
  const name = packageName(request);
  for (let dir = context; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name, 'package.json'))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/** Files whose `require(variable)` / `import(variable)` is expected (see ignoreWarnings). */
const KNOWN_DYNAMIC_LOADERS = [
  '/@nestjs/common/utils/load-package.util.js',
  '/@nestjs/core/helpers/load-adapter.js',
  '/@nestjs/core/helpers/optional-require.js',
  '/@nestjs/terminus/dist/utils/checkPackage.util.js',
  '/typeorm/platform/PlatformTools.js',
  '/typeorm/util/ImportUtils.js',
  '/typeorm/connection/ConnectionOptionsReader.js',
];

/** A package the bundle cannot find is a build error, not a warning: it would fail at run time. */
class FailOnMissingModulesPlugin {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('FailOnMissingModules', (compilation) => {
      compilation.hooks.afterSeal.tap('FailOnMissingModules', () => {
        const missing = compilation.warnings.filter((warning) => /Module not found/.test(warning.message));
        if (missing.length === 0) return;
        const error = new compiler.webpack.WebpackError(
          `${missing.length} module(s) not found: bundle them, or list them in OPTIONAL_PEERS ` +
            `(apps/api/rspack.bundle.config.mjs) if they are truly optional:\n` +
            missing.map((warning) => `  ${warning.message.split('\n').find((line) => /Can't resolve/.test(line))?.trim()}`).join('\n'),
        );
        compilation.errors.push(error);
      });
    });
  }
}

/**
 * The bundle must not point into the machine that built it: a path of the build tree in the
 * output (from import.meta.url or __dirname evaluated at build time) works where it was built and
 * breaks in the image, whose runtime stage has no /build and no node_modules.
 */
class FailOnBuildPathsPlugin {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('FailOnBuildPaths', (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: 'FailOnBuildPaths', stage: compiler.webpack.Compilation.PROCESS_ASSETS_STAGE_ANALYSE },
        (assets) => {
          for (const [name, asset] of Object.entries(assets)) {
            if (!/\.m?js$/.test(name) || name.startsWith('swagger-ui/')) continue;
            const source = asset.source().toString();
            if (source.includes(root)) {
              const at = source.indexOf(root);
              compilation.errors.push(new compiler.webpack.WebpackError(
                `${name} contains a path of the build machine (${root}): ...${source.slice(Math.max(0, at - 80), at + 120)}...`,
              ));
            }
          }
        },
      );
    });
  }
}

const isBuiltin = (request) =>
  request.startsWith('node:') || builtinModules.includes(request) || builtinModules.includes(request.split('/')[0]);

/** @param {import('@rspack/core').RspackOptions} defaults the nest CLI's rspack defaults */
export default (defaults, rspack) => {
  const swaggerUiDist = dirname(require.resolve('swagger-ui-dist/package.json'));
  return {
    ...defaults,
    mode: 'production',
    target: 'node20.19',
    devtool: false,
    entry: { main: defaults.entry },
    output: {
      path: OUT_DIR,
      filename: BUNDLE_FILE,
      clean: true,
      module: true,
      library: { type: 'module' },
      chunkFormat: 'module',
      chunkLoading: 'import',
      asyncChunks: false,
    },
    externalsType: 'node-commonjs',
    externals: [
      ({ request, dependencyType, context }, callback) => {
        if (!request) return callback();
        if (isBuiltin(request)) return callback(null, `node-commonjs ${request}`);
        if (EXCLUDED.test(request)) return callback(null, `import ${request}`);
        if (OPTIONAL_PEERS.some((pattern) => pattern.test(request)) && !isInstalled(request, context ?? root)) {
          return callback(null, `${dependencyType === 'commonjs' ? 'node-commonjs' : 'import'} ${request}`);
        }
        return callback();
      },
    ],
    externalsPresets: { node: false },
    module: {
      ...defaults.module,
      parser: {
        ...(defaults.module?.parser ?? {}),
        javascript: {
          ...(defaults.module?.parser?.javascript ?? {}),
          // Several dependencies (@nestjs/typeorm, @nestjs/swagger, @nestjs/mapped-types,
          // @nestjs/terminus) load packages with `createRequire(import.meta.url)('pkg')`. Parsed,
          // these become ordinary bundled requires of the one bundled copy. Not parsed, they would
          // resolve at run time from the BUILD machine's node_modules (import.meta.url evaluated to
          // the source file's path): working on the build machine, broken in the image.
          createRequire: true,
          // Whatever import.meta is left means the bundle's own location at run time, never a
          // path on the build machine.
          importMeta: false,
        },
      },
    },
    resolve: {
      ...defaults.resolve,
      alias: {
        ...(defaults.resolve?.alias ?? {}),
        'swagger-ui-dist/absolute-path.js$': join(here, 'bundle/swagger-ui-dist-path.cjs'),
      },
    },
    node: { __dirname: 'node-module', __filename: 'node-module' },
    optimization: {
      nodeEnv: false,
      minimize: true,
      splitChunks: false,
      runtimeChunk: false,
      minimizer: [
        new rspack.SwcJsMinimizerRspackPlugin({
          // The bundle only: the copied Swagger UI files are already minified by their authors.
          test: new RegExp(`^${BUNDLE_FILE.replace('.', '\\.')}$`),
          extractComments: true,
          minimizerOptions: {
            module: true,
            compress: { keep_classnames: true, keep_fnames: true },
            mangle: { keep_classnames: true, keep_fnames: true },
          },
        }),
      ],
    },
    plugins: [
      ...(defaults.plugins ?? []),
      new rspack.optimize.LimitChunkCountPlugin({ maxChunks: 1 }),
      new FailOnMissingModulesPlugin(),
      new FailOnBuildPathsPlugin(),
      new rspack.CopyRspackPlugin({
        patterns: SWAGGER_UI_ASSETS.map((file) => ({
          from: join(swaggerUiDist, file),
          to: `swagger-ui/${file}`,
          toType: 'file',
        })),
      }),
    ],
    // Known, harmless: these libraries load optional packages by a computed name (always inside
    // try/catch); the bundle cannot see them and they are not installed anyway.
    ignoreWarnings: [
      (warning) =>
        /Critical dependency/.test(warning.message) &&
        KNOWN_DYNAMIC_LOADERS.some((path) => (warning.module?.resource ?? '').includes(path)),
    ],
    stats: 'errors-warnings',
  };
};
