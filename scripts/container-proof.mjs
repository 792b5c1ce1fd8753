#!/usr/bin/env node
// The engine-less container proof's steps (driven by scripts/verify-container.sh):
//
//   image-rules                      the Dockerfile's own rules (multi-stage, non-root, HEALTHCHECK...)
//   compose [--v1-config FILE]       docker-compose.yml: schema, gating, health, network, volume, env
//   build --work DIR                 build context per .dockerignore, then every stage replayed
//   run --work DIR --db NAME --cache-prefix P
//                                    the runtime stage started per CMD with compose's environment,
//                                    then readiness, pool, round trip, docs, graceful stop
//
// Everything is derived from Dockerfile and docker-compose.yml, so a change to either that the
// replay cannot follow fails here instead of passing unnoticed.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { appEnvironmentNames, checkCompose, interpolate, loadCompose, schemaProblems, serviceEnvironment } from './lib/compose.mjs';
import { parseDockerignore, isIgnored } from './lib/dockerignore.mjs';
import { checkImageRules, containerArgv, readDockerfile, resolveContainerPath, stageConfig } from './lib/dockerfile.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOCKERFILE = join(root, 'Dockerfile');
const COMPOSE_FILE = join(root, 'docker-compose.yml');
const ENVIRONMENT_TS = join(root, 'libs/config/src/environment.ts');
const PAYLOAD_LIMIT_BYTES = Number(process.env.VERIFY_PAYLOAD_LIMIT_BYTES ?? 10_000_000);
const RUN_STEP_TIMEOUT_MS = Number(process.env.VERIFY_RUN_STEP_TIMEOUT_S ?? 600) * 1000;
const READY_TIMEOUT_MS = Number(process.env.VERIFY_READY_TIMEOUT_S ?? 60) * 1000;
const PG = {
  host: process.env.VERIFY_PG_HOST ?? '127.0.0.1',
  port: process.env.VERIFY_PG_PORT ?? '5432',
  user: process.env.VERIFY_PG_USER ?? 'postgres',
};
const REDIS = { host: process.env.VERIFY_REDIS_HOST ?? '127.0.0.1', port: process.env.VERIFY_REDIS_PORT ?? '6379' };
/** Files and folders that must never reach the build context. */
const FORBIDDEN_IN_CONTEXT = ['.env', 'node_modules', '.git', '.data', 'test', 'dist', '.ci'];

/** Variables whose values are never printed. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_KEYS/;
const log = (message) => console.log(`  ${message}`);
const ok = (message) => console.log(`  ok  ${message}`);
class ProofError extends Error {}
const fail = (message) => { throw new ProofError(message); };
const check = (condition, message) => (condition ? ok(message) : fail(message));

function options(argv) {
  const result = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) result[argv[i].slice(2)] = argv[i + 1]?.startsWith('--') || argv[i + 1] === undefined ? true : argv[++i];
  }
  return result;
}

/** What the image tells compose about itself (ports, healthcheck, init). */
function imageFacts(plan) {
  const config = stageConfig(plan.stages.at(-1));
  const argv = containerArgv(config);
  return {
    exposedPorts: config.expose,
    healthcheck: config.healthcheck?.exec,
    hasInit: /(^|\/)(tini|dumb-init)$/.test(argv[0] ?? ''),
  };
}

// ---------------------------------------------------------------- image-rules
function imageRules() {
  const plan = readDockerfile(DOCKERFILE);
  for (const stage of plan.stages) {
    log(`stage ${stage.name}: FROM ${stage.image}:${stage.tag ?? ''} (${stage.instructions.length} instructions)`);
  }
  const problems = checkImageRules(plan);
  for (const problem of problems) console.log(`  FAIL ${problem}`);
  if (problems.length) fail(`${problems.length} Dockerfile rule(s) broken`);
  ok('multi-stage, node:22-alpine by tag, npm ci + build:bundle in the builder, runtime copies build output only, NODE_ENV=production, non-root USER, EXPOSE, node HEALTHCHECK on /health/ready, exec-form CMD, no secrets');
}

// ---------------------------------------------------------------- compose
function composeCheck(opts) {
  const plan = readDockerfile(DOCKERFILE);
  // Interpolated with the project's .env only: what a fresh checkout gets (the shell's variables
  // would override the dev defaults on a real `docker compose up`).
  const compose = loadCompose(COMPOSE_FILE, {});
  const schema = schemaProblems(compose.raw);
  for (const problem of schema) console.log(`  FAIL ${problem}`);
  if (schema.length) fail('docker-compose.yml does not match the Compose specification schema');
  ok('matches the Compose specification JSON schema (ajv, scripts/lib/compose-spec.schema.json)');

  const appNames = appEnvironmentNames(ENVIRONMENT_TS);
  const findings = checkCompose(compose, { appNames, image: imageFacts(plan) });
  const problems = findings.filter((finding) => !finding.startsWith('warning: '));
  for (const finding of findings) console.log(finding.startsWith('warning: ') ? `  ${finding}` : `  FAIL ${finding}`);
  if (problems.length) fail(`${problems.length} docker-compose.yml requirement(s) not met`);
  ok('app depends_on postgres and redis with condition: service_healthy');
  ok('health checks: postgres pg_isready -U/-d its own user and database, redis redis-cli ping, app /health/ready (same command as the Dockerfile HEALTHCHECK)');
  ok('postgres and redis only on an internal network with the app; no published ports; named volume for the Postgres data');
  ok('restart policies, read_only, cap_drop ALL, no-new-privileges on every service; init: true for the app');
  ok(`all ${appNames.length} variables of libs/config/src/environment.ts are set (env_file .env + environment) or listed under x-app-environment`);
  ok('DB_PASSWORD comes from ${DB_PASSWORD:-dev default}, shared with postgres; no password in the committed .env');

  const env = serviceEnvironment(compose, 'app');
  if (opts['v1-config']) {
    // docker-compose v1's own view of the file (`config`: env_file merged, variables interpolated).
    const v1 = parseYaml(readFileSync(opts['v1-config'], 'utf8'));
    const v1Env = Object.fromEntries(Object.entries(v1.services.app.environment ?? {}).map(([k, v]) => [k, v === null ? undefined : String(v)]));
    const ours = env.merged;
    const keys = [...new Set([...Object.keys(v1Env), ...Object.keys(ours)])].sort();
    const differ = keys.filter((key) => v1Env[key] !== ours[key]);
    check(differ.length === 0, `docker-compose v1 resolves the app's environment exactly as this proof does${differ.length ? ` (differs: ${differ.join(', ')})` : ''}`);
    const conditions = Object.entries(v1.services.app.depends_on ?? {}).map(([name, dep]) => `${name}:${dep.condition}`).sort().join(', ');
    check(conditions === 'postgres:service_healthy, redis:service_healthy', `docker-compose v1 sees depends_on ${conditions}`);
  }
  log(`app environment from compose: ${Object.entries(env.merged).map(([k, v]) => `${k}=${SECRET_NAME.test(k) ? '***' : v}`).join(' ')}`);
}

// ---------------------------------------------------------------- build
function gitFiles() {
  const result = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) fail(`git ls-files failed: ${result.stderr}`);
  return result.stdout.split('\0').filter(Boolean).filter((file) => existsSync(join(root, file)) && statSync(join(root, file)).isFile());
}

/** The build context Docker would send: the repository's files (as a clean clone has them) minus .dockerignore. */
function buildContext(work) {
  const context = join(work, 'context');
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  const rules = existsSync(join(root, '.dockerignore')) ? parseDockerignore(readFileSync(join(root, '.dockerignore'), 'utf8')) : [];
  const files = gitFiles();
  const kept = files.filter((file) => !isIgnored(rules, file));
  for (const file of kept) cpSync(join(root, file), join(context, file), { preserveTimestamps: true });
  log(`build context: ${kept.length} of ${files.length} repository files (.dockerignore leaves out ${files.length - kept.length})`);
  for (const name of FORBIDDEN_IN_CONTEXT) {
    const leaked = kept.filter((file) => file === name || file.startsWith(`${name}/`) || file.includes(`/${name}/`));
    // Docker sends the directory as it is on disk (untracked node_modules, .data... included), so
    // .dockerignore itself must name each of these, whatever git tracks.
    check(isIgnored(rules, name) && leaked.length === 0, `.dockerignore keeps ${name} out of the build context`);
  }
  return context;
}

/**
 * Runs one RUN command in a process group of its own, recorded in WORK/step.pgid, so that the
 * whole tree (npm and its children) is killed on timeout, on SIGTERM/SIGINT, or by the shell
 * script's cleanup if this process itself is killed.
 */
async function runStep(work, argv, { cwd, env }) {
  const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  const pgidFile = join(work, 'step.pgid');
  writeFileSync(pgidFile, String(child.pid));
  const killGroup = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } };
  const onSignal = (signal) => { killGroup(); process.exit(signal === 'SIGINT' ? 130 : 143); };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; killGroup(); }, RUN_STEP_TIMEOUT_MS);
  try {
    return await new Promise((resolveStep) => {
      child.on('error', (error) => resolveStep({ error }));
      child.on('exit', (code, signal) => resolveStep(timedOut ? { error: new Error(`timed out after ${RUN_STEP_TIMEOUT_MS / 1000} s`) } : { code, signal }));
    });
  } finally {
    clearTimeout(timer);
    killGroup(); // anything the command left running in the background
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    rmSync(pgidFile, { force: true });
  }
}

function copyInto(sourceRoot, sourcePath, stageRoot, destination, sourcesCount) {
  const source = join(sourceRoot, sourcePath);
  if (!existsSync(source)) fail(`COPY: ${sourcePath} does not exist in ${sourceRoot === '' ? 'the build context' : sourceRoot} (excluded by .dockerignore, or not built?)`);
  const target = join(stageRoot, destination);
  const destIsDir = destination.endsWith('/') || sourcesCount > 1 || (existsSync(target) && statSync(target).isDirectory());
  if (statSync(source).isDirectory()) {
    mkdirSync(target, { recursive: true });
    cpSync(source, target, { recursive: true, preserveTimestamps: true });
  } else {
    const file = destIsDir ? join(target, basename(sourcePath)) : target;
    mkdirSync(dirname(file), { recursive: true });
    cpSync(source, file, { preserveTimestamps: true });
  }
}

/** Replays every stage of the Dockerfile, each in its own directory standing for its filesystem. */
async function build(opts) {
  const work = resolve(opts.work ?? fail('build: --work DIR is required'));
  const plan = readDockerfile(DOCKERFILE);
  const context = buildContext(work);
  const stageRoots = {};
  for (const stage of plan.stages) {
    const stageRoot = join(work, 'stages', stage.name);
    rmSync(stageRoot, { recursive: true, force: true });
    mkdirSync(stageRoot, { recursive: true });
    chmodSync(stageRoot, 0o755);
    stageRoots[stage.name] = stageRoot;
    log(`stage ${stage.name} (FROM ${stage.image}:${stage.tag}: the base image's node/npm are this machine's ${process.version}) in ${stageRoot}`);
    let workdir = '/';
    const env = {};
    const args = { ...plan.args };
    for (const step of stage.instructions) {
      const label = `[${stage.name}] ${step.keyword} ${step.content.replace(/\s+/g, ' ').slice(0, 120)}`;
      switch (step.keyword) {
        case 'ARG':
          for (const [name, value] of step.properties) args[name] = value;
          break;
        case 'ENV':
          for (const [name, value] of step.properties) env[name] = interpolate(value, { ...args, ...env });
          break;
        case 'WORKDIR':
          workdir = resolveContainerPath(workdir, interpolate(step.content.trim(), { ...args, ...env }));
          mkdirSync(join(stageRoot, workdir), { recursive: true });
          break;
        case 'COPY': {
          const from = step.flags.from;
          if (from && !stageRoots[from]) fail(`${label}: --from=${from} is not an earlier stage of this Dockerfile`);
          const sourceRoot = from ? stageRoots[from] : context;
          const destination = resolveContainerPath(workdir, step.destination) + (step.destination.endsWith('/') || step.destination === '.' ? '/' : '');
          for (const source of step.sources) {
            copyInto(sourceRoot, from ? resolveContainerPath('/', source) : source, stageRoot, destination, step.sources.length);
          }
          if (step.flags.chown) log(`${label}: --chown noted (files stay owned by the user running the proof)`);
          log(`${label}`);
          break;
        }
        case 'RUN': {
          const argv = step.exec ?? ['/bin/sh', '-c', step.shell];
          const started = Date.now();
          console.log(`  ${label}   (cwd ${workdir})`);
          const result = await runStep(work, argv, {
            cwd: join(stageRoot, workdir),
            env: { PATH: process.env.PATH, HOME: process.env.HOME, ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}), ...args, ...env },
          });
          if (result.error) fail(`${label}: ${result.error.message}`);
          if (result.code !== 0) fail(`${label}: exited with ${result.code ?? result.signal}`);
          ok(`${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          break;
        }
        default:
          break; // USER, EXPOSE, HEALTHCHECK, CMD, ENTRYPOINT, LABEL, STOPSIGNAL: metadata, applied by `run`
      }
    }
  }
  writeFileSync(join(work, 'stages.json'), JSON.stringify(stageRoots, null, 2));
  const runtime = plan.stages.at(-1);

  // The image carries nothing of the build stages: a runtime file that still points into them
  // (an absolute path resolved at build time) works here only while they exist. So look for such
  // paths, then remove the build stages before anything runs.
  for (const [name, stageRoot] of Object.entries(stageRoots)) {
    if (name === runtime.name) continue;
    const leaks = scanForText(stageRoots[runtime.name], [stageRoot, ...stageWorkdirs(plan, name)]);
    check(leaks.length === 0, `no runtime file refers to stage ${name}'s files${leaks.length ? `: ${leaks.slice(0, 3).join('; ')}` : ''}`);
    rmSync(stageRoot, { recursive: true, force: true });
    ok(`stage ${name} removed: the runtime stage must stand alone`);
  }
  const payload = directorySize(stageRoots[runtime.name]);
  log(`runtime stage (${runtime.name}) contents:`);
  for (const entry of payload.files.sort((a, b) => b.bytes - a.bytes).slice(0, 8)) log(`  ${String(entry.bytes).padStart(9)}  ${entry.path}`);
  if (payload.files.length > 8) log(`  ... and ${payload.files.length - 8} more files`);
  console.log(`  runtime payload (what the runtime stage adds to node:22-alpine): ${payload.bytes} bytes (${mb(payload.bytes)}) in ${payload.files.length} files`);
  check(payload.bytes <= PAYLOAD_LIMIT_BYTES, `runtime payload ${mb(payload.bytes)} is within the ${mb(PAYLOAD_LIMIT_BYTES)} limit`);
  const nodeModules = payload.files.filter((file) => file.path.split('/').includes('node_modules'));
  check(nodeModules.length === 0, 'the runtime stage holds no node_modules');
  writeFileSync(join(work, 'payload.json'), JSON.stringify({ bytes: payload.bytes, files: payload.files.length }));
}

/** The WORKDIRs of a stage, as `file:///dir/` URLs (what a build-time import.meta.url would leave in a bundle). */
function stageWorkdirs(plan, name) {
  const stage = plan.stages.find((candidate) => candidate.name === name);
  let workdir = '/';
  const dirs = [];
  for (const step of stage.instructions) {
    if (step.keyword === 'WORKDIR') dirs.push(`file://${(workdir = resolveContainerPath(workdir, step.content.trim()))}/`);
  }
  return dirs;
}

/** Files under `dir` whose content contains any of `needles`, as "file: needle". */
function scanForText(dir, needles) {
  const found = [];
  for (const file of directorySize(dir).files) {
    const content = readFileSync(join(dir, file.path));
    for (const needle of needles) if (content.includes(needle)) found.push(`${file.path}: ${needle}`);
  }
  return found;
}

function directorySize(dir) {
  const files = [];
  const walk = (path, rel) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      const relative = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(full, relative);
      else files.push({ path: `/${relative}`, bytes: statSync(full).size });
    }
  };
  walk(dir, '');
  return { files, bytes: files.reduce((sum, file) => sum + file.bytes, 0) };
}

const mb = (bytes) => `${(bytes / 1_000_000).toFixed(2)} MB`;

// ---------------------------------------------------------------- run
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function psql(sql, database = 'postgres') {
  const result = spawnSync('psql', ['-h', PG.host, '-p', PG.port, '-U', PG.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8', timeout: 15_000 });
  if (result.status !== 0) fail(`psql: ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}

function redisCli(...args) {
  const result = spawnSync('redis-cli', ['-h', REDIS.host, '-p', REDIS.port, ...args], { encoding: 'utf8', timeout: 15_000 });
  if (result.status !== 0) fail(`redis-cli: ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function http(url, init = {}) {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000), ...init });
  const body = await response.text();
  return { status: response.status, headers: response.headers, body };
}

async function waitFor(what, probe, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last.done) return last;
    await sleep(intervalMs);
  }
  fail(`${what}: not reached within ${timeoutMs} ms (last: ${JSON.stringify(last?.value)})`);
}

/** The uid/gid to run the image's non-root USER as: an unprivileged account of this machine. */
function runtimeIdentity(user) {
  if (process.getuid?.() !== 0 || ['root', '0'].includes(user)) return {};
  const uid = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid, name: 'nobody' } : {};
}

async function run(opts) {
  const work = resolve(opts.work ?? fail('run: --work DIR is required'));
  const database = opts.db ?? fail('run: --db NAME is required');
  const cachePrefix = opts['cache-prefix'] ?? fail('run: --cache-prefix is required');
  if (!/^[a-z0-9_]+$/.test(database)) fail('run: --db must be [a-z0-9_]+');
  const plan = readDockerfile(DOCKERFILE);
  const stageRoots = JSON.parse(readFileSync(join(work, 'stages.json'), 'utf8'));
  const runtime = plan.stages.at(-1);
  const config = stageConfig(runtime);
  const rootfs = stageRoots[runtime.name];
  const cwd = join(rootfs, config.workdir);

  // The environment the container gets: the image's ENV, then compose's env_file + environment.
  // Secrets come from the operator's shell through compose's ${VAR} pass-through; the proof plays
  // the operator and exports a freshly generated API key (when the app has API keys at all).
  const shellEnv = {};
  const apiKey = appEnvironmentNames(ENVIRONMENT_TS).includes('API_KEYS') ? randomBytes(32).toString('base64url') : undefined;
  if (apiKey) {
    shellEnv.API_KEYS = apiKey;
    log('shell: API_KEYS=*** exported before "docker compose up", as an operator does (a key generated for this run)');
  }
  const compose = loadCompose(COMPOSE_FILE, shellEnv);
  const composeEnv = serviceEnvironment(compose, 'app').merged;
  const env = { ...config.env, ...composeEnv };
  // What differs on this machine, and only that: peers by service name are on 127.0.0.1; a fresh
  // database and cache prefix of the proof's own; a free port; local trust auth as the admin user.
  const services = Object.keys(compose.resolved.services);
  const overrides = {};
  for (const [name, value] of Object.entries(env)) if (services.includes(value)) overrides[name] = '127.0.0.1';
  Object.assign(overrides, {
    DB_PORT: PG.port, DB_USER: PG.user, DB_NAME: database,
    REDIS_PORT: REDIS.port, CACHE_KEY_PREFIX: cachePrefix,
    HOST: '127.0.0.1', PORT: String(await freePort()),
  });
  if (overrides.DB_HOST) overrides.DB_HOST = PG.host;
  if (overrides.REDIS_HOST) overrides.REDIS_HOST = REDIS.host;
  for (const [name, value] of Object.entries(overrides)) {
    log(`env ${name}: ${SECRET_NAME.test(name) ? '***' : env[name] ?? '(unset)'} -> ${value}`);
    env[name] = value;
  }
  const appEnv = { PATH: process.env.PATH, HOME: '/home/node', ...env };
  const poolSize = Number(env.DB_POOL_SIZE ?? 10);
  const applicationName = env.DB_APPLICATION_NAME ?? 'linkpool';
  const base = `http://127.0.0.1:${env.PORT}`;
  // As in the image: no node_modules anywhere Node would look from the app's directory.
  const reachable = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) reachable.push(join(dir, 'node_modules'));
    if (dirname(dir) === dir) break;
  }
  check(reachable.length === 0, `no node_modules reachable from ${cwd}${reachable.length ? `: ${reachable.join(', ')}` : ''}`);
  const identity = runtimeIdentity(config.user);
  const argv = containerArgv(config);
  log(`USER ${config.user}: ${identity.name ? `runs as ${identity.name} (uid ${identity.uid}), not root and not the owner of its files` : 'runs as the current user'}`);
  log(`start: ${argv.join(' ')}   (cwd ${config.workdir} = ${cwd}; ${readdirSync(cwd).join(', ')})`);

  const appLog = createWriteStream(join(work, 'app.log'));
  const started = Date.now();
  const app = spawn(argv[0], argv.slice(1), { cwd, env: appEnv, stdio: ['ignore', 'pipe', 'pipe'], ...identity });
  writeFileSync(join(work, 'app.pid'), String(app.pid));
  app.stdout.pipe(appLog);
  app.stderr.pipe(appLog);
  let exited;
  const exitPromise = new Promise((r) => app.on('exit', (code, signal) => { exited = { code, signal }; r(exited); }));
  const summary = { bundleBytes: undefined, bootToReadyMs: undefined, pgConnections: undefined };

  try {
    // 1. readiness
    const ready = await waitFor('GET /health/ready = 200', async () => {
      if (exited) fail(`the app exited during start-up (${JSON.stringify(exited)}); see ${join(work, 'app.log')}`);
      try {
        const response = await http(`${base}/health/ready`);
        return { done: response.status === 200, value: response.status, response };
      } catch (error) {
        return { done: false, value: error.cause?.code ?? error.message };
      }
    }, READY_TIMEOUT_MS, 100);
    summary.bootToReadyMs = Date.now() - started;
    const health = JSON.parse(ready.response.body);
    check(true, `GET /health/ready -> 200 after ${summary.bootToReadyMs} ms from process start`);
    check(health.status === 'ok' && health.info?.database?.status === 'up', `readiness: status ${health.status}, database ${health.info?.database?.status}`);
    check(health.info?.pool?.total === poolSize && health.info?.cache?.store === 'redis' && health.info?.cache?.status === 'up',
      `readiness: pool ${health.info?.pool?.total}/${health.info?.pool?.size} open, cache ${health.info?.cache?.store} ${health.info?.cache?.status}`);

    // 2. the image's own HEALTHCHECK command, as Docker would run it inside the container
    if (config.healthcheck?.exec) {
      const [cmd, ...args] = config.healthcheck.exec;
      const result = spawnSync(cmd, args, { cwd, env: appEnv, timeout: 10_000, ...identity });
      check(result.status === 0, `Dockerfile HEALTHCHECK (${cmd} ${args[0] ?? ''} ...) exits 0`);
    }

    // 3. the warm pool, as Postgres sees it
    const countSql = `SELECT count(*) FROM pg_stat_activity WHERE datname = '${database}' AND application_name = '${applicationName.replace(/'/g, "''")}'`;
    const count = await waitFor(`pg_stat_activity shows ${poolSize} connections`, async () => {
      const value = Number(psql(countSql));
      return { done: value === poolSize, value };
    }, 5000, 250);
    summary.pgConnections = count.value;
    check(count.value === poolSize && poolSize === 10, `pg_stat_activity: exactly ${count.value} connections with application_name '${applicationName}' on ${database} (DB_POOL_SIZE ${poolSize})`);

    // 4. create -> redirect round trip (twice: the second answer comes from the Redis cache)
    const target = `https://example.com/verify-container/${Date.now()}?q=1`;
    const created = await http(`${base}/api/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
      body: JSON.stringify({ url: target }),
    });
    check(created.status === 201, `POST /api/links${apiKey ? ' (x-api-key)' : ''} -> ${created.status}${created.status === 201 ? '' : ` ${created.body.slice(0, 200)}`}`);
    const { code } = JSON.parse(created.body);
    for (const round of [1, 2]) {
      const redirect = await http(`${base}/${code}`);
      check(redirect.status === 302 && redirect.headers.get('location') === target, `GET /${code} (${round === 1 ? 'first' : 'cached'}) -> ${redirect.status} Location ${redirect.headers.get('location')}`);
    }
    const keys = redisCli('--scan', '--pattern', `${cachePrefix}*`).split('\n').filter(Boolean);
    check(keys.length > 0, `Redis holds ${keys.length} key(s) under the app's prefix ${cachePrefix}`);

    // 5. API docs: the Swagger UI page and the assets copied next to the bundle
    const docs = await http(`${base}/docs`);
    check(docs.status === 200 && /swagger-ui-bundle\.js/.test(docs.body), `GET /docs -> ${docs.status} (Swagger UI page)`);
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'swagger-ui-standalone-preset.js']) {
      const response = await http(`${base}/docs/${asset}`);
      check(response.status === 200 && response.body.length > 1000, `GET /docs/${asset} -> ${response.status} (${response.body.length} bytes)`);
    }
    const bundleLeak = await http(`${base}/docs/main.mjs`);
    check(bundleLeak.status === 404, `GET /docs/main.mjs -> ${bundleLeak.status} (the bundle itself is not served)`);
    const openapi = await http(`${base}/docs-json`);
    check(openapi.status === 200 && JSON.parse(openapi.body).paths?.['/api/links'], `GET /docs-json -> ${openapi.status} (OpenAPI document)`);

    // 6. graceful stop (Docker's SIGTERM, forwarded by the init process)
    const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? 10_000);
    app.kill('SIGTERM');
    const stop = await Promise.race([exitPromise, sleep(shutdownMs + 5000).then(() => undefined)]);
    check(stop && stop.code === 0, `SIGTERM -> exit ${stop ? stop.code ?? stop.signal : 'timeout'}`);
    const after = await waitFor('connections closed after exit', async () => {
      const value = Number(psql(countSql));
      return { done: value === 0, value };
    }, 5000, 250);
    check(after.value === 0, 'pg_stat_activity: no connections left after exit');
    const clicks = psql(`SELECT click_count FROM links WHERE code = '${code.replace(/'/g, "''")}'`, database);
    check(clicks === '2', `the 2 redirects' clicks were flushed to Postgres at shutdown (click_count ${clicks})`);
  } catch (error) {
    if (!exited) app.kill('SIGKILL');
    const tail = existsSync(join(work, 'app.log')) ? readFileSync(join(work, 'app.log'), 'utf8').split('\n').slice(-25).join('\n') : '';
    console.log(`  --- last lines of ${join(work, 'app.log')} ---\n${tail}`);
    throw error;
  } finally {
    appLog.end();
  }
  const bundle = join(cwd, argv.find((arg) => /\.m?js$/.test(arg)) ?? 'main.mjs');
  summary.bundleBytes = existsSync(bundle) ? statSync(bundle).size : undefined;
  Object.assign(summary, JSON.parse(readFileSync(join(work, 'payload.json'), 'utf8') || '{}'));
  writeFileSync(join(work, 'summary.json'), JSON.stringify(summary, null, 2));
}

// ---------------------------------------------------------------- main
const [command, ...rest] = process.argv.slice(2);
const commands = { 'image-rules': imageRules, compose: composeCheck, build, run };
if (!commands[command]) {
  console.error(`usage: container-proof.mjs ${Object.keys(commands).join('|')} [options]`);
  process.exit(2);
}
try {
  await commands[command](options(rest));
} catch (error) {
  console.log(`  FAIL ${error instanceof ProofError ? error.message : error.stack}`);
  process.exit(1);
}
