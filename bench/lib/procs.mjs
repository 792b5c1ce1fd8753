// Child processes of the benchmark (servers under test): started pinned to a CPU when taskset
// exists, watched for readiness, sampled for memory, and always stopped, whatever happens.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const children = new Set();

/** Kills every child still running (SIGKILL, by pid); safe to call more than once. */
export function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Server {
  /**
   * @param {string} name
   * @param {string[]} argv node arguments (script and its arguments)
   * @param {{ env: Record<string,string>, pin?: string, cwd?: string }} options
   */
  constructor(name, argv, { env, pin, cwd }) {
    this.name = name;
    this.output = '';
    const [cmd, args] = pin ? ['taskset', ['-c', pin, process.execPath, ...argv]] : [process.execPath, argv];
    this.startedAt = performance.now();
    this.child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this.child);
    this.child.stdout.on('data', (d) => this.append(d));
    this.child.stderr.on('data', (d) => this.append(d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? signal)));
    this.exited.then(() => children.delete(this.child));
  }

  append(data) {
    // Keep the tail only: a server that logs a lot must not grow the benchmark's memory.
    this.output = (this.output + data).slice(-20_000);
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Polls `url` until it answers 200; resolves with the ms from spawn to that answer.
   * @param {string} url
   * @param {number} timeoutMs
   */
  async waitReady(url, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited early:\n${this.output}`);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return performance.now() - this.startedAt;
      } catch {
        // not listening yet
      }
      await sleep(20);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Waits until the process prints `line` on a line of its own. */
  async waitForLine(line, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.output.split('\n').includes(line)) return performance.now() - this.startedAt;
      if (!this.running) throw new Error(`${this.name} exited early:\n${this.output}`);
      await sleep(20);
    }
    throw new Error(`${this.name} did not print "${line}" within ${timeoutMs} ms:\n${this.output}`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (or signal). */
  async stop(graceMs = 15_000) {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** CPU time (user + system) the process has used so far, in ms (Linux), or undefined. */
  cpuMs() {
    try {
      const fields = readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return undefined;
    }
  }

  /** Resident set size in bytes (VmRSS), or 0 when it cannot be read (not Linux, process gone). */
  rss() {
    return readStatus(this.pid, 'VmRSS');
  }

  /** Peak resident set size over the process' life (VmHWM). */
  peakRss() {
    return readStatus(this.pid, 'VmHWM');
  }
}

function readStatus(pid, field) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a server's RSS every `intervalMs` and keeps the maximum since the last `reset()`. */
export class RssSampler {
  constructor(server, intervalMs = 100) {
    this.server = server;
    this.max = 0;
    this.timer = setInterval(() => {
      this.max = Math.max(this.max, server.rss());
    }, intervalMs);
    this.timer.unref();
  }

  reset() {
    this.max = this.server.rss();
  }

  stop() {
    clearInterval(this.timer);
  }
}
