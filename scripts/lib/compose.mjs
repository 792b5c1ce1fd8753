// docker-compose.yml as the proof sees it: parsed, interpolated the way Compose does it,
// validated against the Compose JSON schema, and checked against what this deployment needs.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));

/** Parses a Compose env file / `.env`: KEY=VALUE lines, `#` comments, optional quotes. */
export function parseEnvFile(text) {
  const values = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new Error(`env file: cannot read line "${raw}"`);
    let value = match[2];
    const quoted = /^(['"])([\s\S]*)\1$/.exec(value);
    if (quoted) value = quoted[2];
    else value = value.replace(/\s+#.*$/, '').trim();
    values[match[1]] = value;
  }
  return values;
}

/** Compose's variable substitution: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $$. */
export function interpolate(value, variables) {
  if (typeof value !== 'string') return value;
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^}$]|\$[^{])*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name, operator, word = '', bare) => {
    if (match === '$$') return '$';
    const key = name ?? bare;
    const set = Object.hasOwn(variables, key);
    const current = set ? variables[key] : undefined;
    switch (operator) {
      case ':-': return set && current !== '' ? current : word;
      case '-': return set ? current : word;
      case ':?': if (!set || current === '') throw new Error(`required variable ${key} is missing: ${word}`); return current;
      case '?': if (!set) throw new Error(`required variable ${key} is missing: ${word}`); return current;
      case ':+': return set && current !== '' ? word : '';
      case '+': return set ? word : '';
      default: return current ?? '';
    }
  });
}

const mapValues = (node, fn) =>
  Array.isArray(node) ? node.map((item) => mapValues(item, fn))
    : node && typeof node === 'object' ? Object.fromEntries(Object.entries(node).map(([k, v]) => [k, mapValues(v, fn)]))
      : fn(node);

/** `environment:` as a list (`KEY=VALUE`) or a map, to a map of strings. */
export function environmentMap(environment) {
  if (!environment) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((entry) => {
      const at = entry.indexOf('=');
      return at < 0 ? [entry, undefined] : [entry.slice(0, at), entry.slice(at + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, v === null ? undefined : String(v)]));
}

/**
 * Loads docker-compose.yml as Compose would: variables from the project's `.env` (and from
 * `shellEnv`, which wins), interpolated into every value.
 */
export function loadCompose(file, shellEnv = {}) {
  const projectDir = dirname(file);
  const raw = parse(readFileSync(file, 'utf8'));
  const dotenvPath = join(projectDir, '.env');
  const variables = { ...(existsSync(dotenvPath) ? parseEnvFile(readFileSync(dotenvPath, 'utf8')) : {}), ...shellEnv };
  const resolved = mapValues(raw, (value) => interpolate(value, variables));
  return { raw, resolved, projectDir };
}

/** The environment a service's container gets from Compose: env_file(s), then `environment`. */
export function serviceEnvironment(compose, serviceName) {
  const service = compose.resolved.services[serviceName];
  const envFiles = [service.env_file ?? []].flat().map((entry) => (typeof entry === 'string' ? entry : entry.path));
  const fromFiles = {};
  for (const envFile of envFiles) Object.assign(fromFiles, parseEnvFile(readFileSync(join(compose.projectDir, envFile), 'utf8')));
  const explicit = environmentMap(service.environment);
  return { envFiles, fromFiles, explicit, merged: { ...fromFiles, ...Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined)) } };
}

/** Validates against the Compose specification's JSON schema (vendored, see its $comment). */
export function schemaProblems(document) {
  const schema = JSON.parse(readFileSync(join(here, 'compose-spec.schema.json'), 'utf8'));
  // The vendored schema predates ajv's draft 2019-09 support: its `$schema` URL and its old-style
  // string `id`s are identifiers only, dropped here so ajv compiles the rules as they are.
  delete schema.$schema;
  const strip = (node) => {
    if (!node || typeof node !== 'object') return;
    if (typeof node.id === 'string') delete node.id;
    Object.values(node).forEach(strip);
  };
  strip(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(schema);
  if (validate(document)) return [];
  return validate.errors.map((error) => `schema: ${error.instancePath || '/'} ${error.message}${error.params?.additionalProperty ? ` (${error.params.additionalProperty})` : ''}`);
}

/** The variable names the app validates: the properties of `class Environment`. */
export function appEnvironmentNames(environmentTs) {
  const text = readFileSync(environmentTs, 'utf8');
  const body = /export class Environment\s*\{([\s\S]*?)\n\}/.exec(text)?.[1];
  if (!body) throw new Error(`${environmentTs}: class Environment not found`);
  const names = [...body.matchAll(/^\s*([A-Z][A-Z0-9_]*)\??\s*[:!]/gm)].map((match) => match[1]);
  if (names.length === 0) throw new Error(`${environmentTs}: no variables found in class Environment`);
  return names;
}

/**
 * What this deployment needs from docker-compose.yml. Returns a list of problems.
 * @param compose loadCompose() result
 * @param image { exposedPorts: string[], healthcheck: string[]|undefined, hasInit: boolean }
 */
export function checkCompose(compose, { appNames, image }) {
  const problems = [];
  const expect = (ok, message) => { if (!ok) problems.push(message); };
  const { raw, resolved } = compose;
  const services = resolved.services ?? {};
  for (const name of ['app', 'postgres', 'redis']) expect(services[name], `service "${name}" is missing`);
  if (problems.length) return problems;
  const { app, postgres, redis } = services;

  // images and build
  expect(app.build, 'app: must be built from the Dockerfile (build:)');
  const build = typeof app.build === 'string' ? { context: app.build } : app.build ?? {};
  expect(existsSync(join(compose.projectDir, build.context ?? '.', build.dockerfile ?? 'Dockerfile')), 'app: build.dockerfile does not exist');
  expect(/^postgres:16(\.\d+)*-alpine/.test(postgres.image ?? ''), `postgres: image must be postgres:16-alpine (got ${postgres.image})`);
  expect(/^redis:7(\.\d+)*-alpine/.test(redis.image ?? ''), `redis: image must be redis:7-alpine (got ${redis.image})`);

  // start-up gating
  for (const peer of ['postgres', 'redis']) {
    const condition = Array.isArray(app.depends_on) ? undefined : app.depends_on?.[peer]?.condition;
    expect(condition === 'service_healthy', `app: depends_on.${peer}.condition must be service_healthy (got ${condition ?? 'none'})`);
  }

  // health checks
  for (const [name, service] of Object.entries({ app, postgres, redis })) {
    const test = service.healthcheck?.test;
    expect(Array.isArray(test) ? test.length > 1 && test[0] !== 'NONE' : typeof test === 'string' && test.length > 0, `${name}: no healthcheck`);
    expect(!service.healthcheck?.disable, `${name}: healthcheck disabled`);
  }
  const testText = (service) => [service.healthcheck?.test ?? []].flat().join(' ');
  expect(/pg_isready/.test(testText(postgres)) && /-U\s+"?\$\$?\{?POSTGRES_USER/.test(testText(postgres)) && /-d\s+"?\$\$?\{?POSTGRES_DB/.test(testText(postgres)),
    'postgres: healthcheck must run pg_isready against its own user and database (-U $POSTGRES_USER -d $POSTGRES_DB)');
  expect(/redis-cli\b.*\bping\b/i.test(testText(redis)), 'redis: healthcheck must run redis-cli ping');
  expect(/\/health\/ready/.test(testText(app)), 'app: healthcheck must ask /health/ready');
  if (image.healthcheck) {
    const appTest = [app.healthcheck?.test ?? []].flat();
    expect(JSON.stringify(appTest.slice(1)) === JSON.stringify(image.healthcheck) && appTest[0] === 'CMD',
      'app: healthcheck.test differs from the Dockerfile HEALTHCHECK (keep them identical)');
  }

  // network and volume
  const networksOf = (service) => (Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? {}));
  const declaredNetworks = resolved.networks ?? {};
  for (const [name, service] of Object.entries({ app, postgres, redis })) {
    expect(networksOf(service).length > 0, `${name}: not on an explicit network`);
    for (const network of networksOf(service)) expect(Object.hasOwn(declaredNetworks, network), `${name}: network ${network} is not declared`);
  }
  const shared = networksOf(postgres).filter((n) => networksOf(redis).includes(n) && networksOf(app).includes(n));
  expect(shared.length > 0, 'app, postgres and redis share no network');
  expect(shared.some((n) => declaredNetworks[n]?.internal === true), `the network app, postgres and redis share (${shared.join(', ')}) must be private (internal: true)`);
  for (const [name, service] of Object.entries({ postgres, redis })) {
    expect(!service.ports?.length, `${name}: must not publish ports`);
    expect(networksOf(service).every((n) => declaredNetworks[n]?.internal === true), `${name}: must be only on internal networks`);
  }
  const pgVolume = (postgres.volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
    .find((v) => v.target === '/var/lib/postgresql/data');
  expect(pgVolume && Object.hasOwn(resolved.volumes ?? {}, pgVolume.source), 'postgres: /var/lib/postgresql/data must be a named volume declared under volumes:');

  // restart and hardening
  for (const [name, service] of Object.entries({ app, postgres, redis })) {
    expect(['always', 'unless-stopped', 'on-failure'].some((policy) => (service.restart ?? '').startsWith(policy)), `${name}: restart policy missing`);
    expect(service.read_only === true, `${name}: read_only: true missing`);
    expect((service.cap_drop ?? []).includes('ALL'), `${name}: cap_drop: [ALL] missing`);
    expect((service.security_opt ?? []).some((opt) => /^no-new-privileges(:true)?$/.test(opt)), `${name}: security_opt no-new-privileges:true missing`);
  }
  expect(image.hasInit || app.init === true, 'app: the image has no init process: set init: true');

  // the app's configuration
  const env = serviceEnvironment(compose, 'app');
  expect(env.envFiles.includes('.env'), 'app: env_file must include .env');
  expect(env.merged.DB_HOST === 'postgres', `app: DB_HOST must be the postgres service name (got ${env.merged.DB_HOST})`);
  expect(env.merged.REDIS_HOST === 'redis', `app: REDIS_HOST must be the redis service name (got ${env.merged.REDIS_HOST})`);
  for (const name of ['DB_USER', 'DB_PASSWORD', 'DB_NAME']) expect(env.merged[name], `app: ${name} is not set`);
  const pgEnv = environmentMap(postgres.environment);
  expect(env.merged.DB_USER === pgEnv.POSTGRES_USER && env.merged.DB_PASSWORD === pgEnv.POSTGRES_PASSWORD && env.merged.DB_NAME === pgEnv.POSTGRES_DB,
    'app: DB_USER/DB_PASSWORD/DB_NAME must match postgres POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB');
  const rawAppEnv = environmentMap(raw.services.app.environment);
  const rawPgEnv = environmentMap(raw.services.postgres.environment);
  expect(/^\$\{DB_PASSWORD(:?-[^}]*)?\}$/.test(rawAppEnv.DB_PASSWORD ?? '') && rawAppEnv.DB_PASSWORD === rawPgEnv.POSTGRES_PASSWORD,
    'app/postgres: the password must come from ${DB_PASSWORD:-<dev default>}, the same reference in both');
  expect(!Object.hasOwn(env.fromFiles, 'DB_PASSWORD') && !Object.hasOwn(env.fromFiles, 'REDIS_PASSWORD'), '.env (committed) must not hold passwords');
  const ports = (app.ports ?? []).map((p) => String(typeof p === 'object' ? p.target : String(p).split(':').at(-1)).split('/')[0]);
  expect(ports.includes(String(env.merged.PORT ?? '3000')), `app: ports must publish the container port PORT=${env.merged.PORT}`);
  expect(image.exposedPorts.includes(String(env.merged.PORT ?? '3000')), `app: PORT=${env.merged.PORT} is not the port the Dockerfile EXPOSEs (${image.exposedPorts.join(', ')})`);

  // every variable the app validates is set, or deliberately left to .env / the app's default
  const declared = raw['x-app-environment'] ?? {};
  const defaulted = declared.defaulted ?? [];
  const notApplicable = declared['not-applicable'] ?? [];
  const known = new Set(appNames);
  for (const name of appNames) {
    expect(Object.hasOwn(env.explicit, name) || Object.hasOwn(env.fromFiles, name) || defaulted.includes(name) || notApplicable.includes(name),
      `app: ${name} (read by the app) is neither set in environment/env_file nor listed under x-app-environment`);
  }
  // A name the app does not read misconfigures nothing by itself (the checks above catch the ones
  // that matter): reported, not failed, so a variable renamed in the app shows up here at once.
  for (const name of [...Object.keys(env.explicit), ...Object.keys(env.fromFiles)]) {
    if (!known.has(name) && name !== 'NODE_ENV') problems.push(`warning: app: ${name} is set but the app does not read it (libs/config/src/environment.ts)`);
  }
  for (const name of [...defaulted, ...notApplicable]) {
    if (!known.has(name)) problems.push(`warning: x-app-environment lists ${name}, which the app does not read`);
  }
  // Secrets reach the app from the operator's environment, never from a committed file.
  for (const name of ['API_KEYS']) {
    if (Object.hasOwn(rawAppEnv, name)) {
      expect(/^\$\{[A-Z_]+(:?-)?\}$/.test(rawAppEnv[name] ?? ''), `app: ${name} must be passed through as \${${name}:-} (a secret, no value in the file)`);
    }
    expect(!Object.hasOwn(env.fromFiles, name), `.env (committed) must not hold ${name}`);
  }
  for (const name of defaulted) expect(!Object.hasOwn(env.explicit, name), `x-app-environment.defaulted lists ${name}, but environment sets it`);
  for (const name of notApplicable) expect(!Object.hasOwn(env.merged, name), `${name} is listed as not applicable but is set`);
  return problems;
}
