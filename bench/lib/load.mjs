// Load generation for the benchmark: wrk when it is installed (C, cheap per request, so one
// core of it saturates a Node server), otherwise autocannon from npm (in a child process, so
// it can be pinned like wrk). Both report the same shape of result.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WRK_SCRIPT = fileURLToPath(new URL('../wrk/load.lua', import.meta.url));
const AUTOCANNON_WORKER = fileURLToPath(new URL('./autocannon-worker.mjs', import.meta.url));

export function hasCommand(name) {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * @typedef {object} LoadSpec
 * @property {string} url       base URL, e.g. http://127.0.0.1:4000 (plus the path for mode=fixed)
 * @property {'fixed'|'random'|'sequential'|'post'} mode
 * @property {string} [prefix]  code prefix (random, sequential)
 * @property {number} [count]   number of codes (random, sequential)
 * @property {number} [offset]  first code number (sequential)
 * @property {string} [body]    JSON body (post)
 * @property {number} [expect]  count responses with another status as errors
 * @property {string} [apiKey]  sent as x-api-key
 * @property {number} duration  seconds
 * @property {number} connections
 */

/**
 * @typedef {object} LoadResult
 * @property {number} requests  responses received
 * @property {number} rps
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} socketErrors connect/read/write errors and timeouts
 * @property {number} statusErrors responses that were not 2xx/3xx (or not `expect`, when given)
 * @property {number} redirects  302 responses received
 * @property {number} generated requests the generator produced (sent or about to be)
 */

export class LoadGenerator {
  /** @param {{ tool: 'wrk'|'autocannon', pin?: string }} options pin: taskset CPU list, or undefined */
  constructor({ tool, pin }) {
    this.tool = tool;
    this.pin = pin;
  }

  static detect(preferred, pin) {
    const tool = preferred === 'auto' ? (hasCommand('wrk') ? 'wrk' : 'autocannon') : preferred;
    if (tool === 'wrk' && !hasCommand('wrk')) throw new Error('wrk is not installed (apt-get install wrk), or pass --load autocannon');
    return new LoadGenerator({ tool, pin });
  }

  /** @param {LoadSpec} spec @returns {Promise<LoadResult>} */
  run(spec) {
    return this.tool === 'wrk' ? this.runWrk(spec) : this.runAutocannon(spec);
  }

  command(program, args) {
    return this.pin ? ['taskset', ['-c', this.pin, program, ...args]] : [program, args];
  }

  async runWrk(spec) {
    const env = {
      ...process.env,
      BENCH_MODE: spec.mode,
      BENCH_PREFIX: spec.prefix ?? 'b',
      BENCH_COUNT: String(spec.count ?? 1),
      BENCH_OFFSET: String(spec.offset ?? 0),
      BENCH_BODY: spec.body ?? '',
      BENCH_EXPECT: spec.expect ? String(spec.expect) : '',
      BENCH_API_KEY: spec.apiKey ?? '',
    };
    const [cmd, args] = this.command('wrk', [
      '-t1',
      `-c${spec.connections}`,
      `-d${spec.duration}s`,
      '--timeout',
      '5s',
      '-s',
      WRK_SCRIPT,
      spec.url,
    ]);
    const output = await collect(cmd, args, env, (spec.duration + 30) * 1000);
    const line = output.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
    if (!line) throw new Error(`wrk printed no result:\n${output}`);
    const r = JSON.parse(line.slice('BENCH_RESULT '.length));
    const seconds = r.durationUs / 1e6;
    return {
      requests: r.requests,
      rps: r.requests / seconds,
      p50Ms: r.p50Us / 1000,
      p99Ms: r.p99Us / 1000,
      socketErrors: r.connectErrors + r.readErrors + r.writeErrors + r.timeouts,
      statusErrors: spec.expect ? r.unexpectedStatus : r.statusErrors,
      // Every 2xx/3xx answer of GET /:code is a 302 (the app sends no other).
      redirects: spec.mode === 'post' ? 0 : r.requests - r.statusErrors,
      generated: r.generated,
    };
  }

  async runAutocannon(spec) {
    const [cmd, args] = this.command(process.execPath, [AUTOCANNON_WORKER, JSON.stringify(spec)]);
    const output = await collect(cmd, args, process.env, (spec.duration + 30) * 1000);
    const line = output.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
    if (!line) throw new Error(`autocannon printed no result:\n${output}`);
    return JSON.parse(line.slice('BENCH_RESULT '.length));
  }
}

/** Runs a command to its end (bounded by `timeoutMs`) and resolves with its stdout and stderr. */
function collect(cmd, args, env, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}
