// Runs one load with autocannon (the fallback when wrk is not installed) and prints
// `BENCH_RESULT {json}` in the shape bench/lib/load.mjs returns. Argument: the LoadSpec as JSON.
import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);
const code = (n) => `/${spec.prefix ?? 'b'}${String(n).padStart(7, '0')}`;
let seq = 0;

const options = {
  url: spec.url,
  connections: spec.connections,
  duration: spec.duration,
  timeout: 5,
};
if (spec.mode === 'random') {
  options.requests = [{ setupRequest: (req) => ({ ...req, path: code(Math.floor(Math.random() * spec.count)) }) }];
} else if (spec.mode === 'sequential') {
  options.requests = [{ setupRequest: (req) => ({ ...req, path: code((spec.offset ?? 0) + (seq++ % spec.count)) }) }];
} else if (spec.mode === 'post') {
  options.method = 'POST';
  options.body = spec.body;
  options.headers = { 'content-type': 'application/json', ...(spec.apiKey ? { 'x-api-key': spec.apiKey } : {}) };
}

const result = await autocannon(options);
let statusErrors = 0;
for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) {
  const s = Number(status);
  if (spec.expect ? s !== spec.expect : s >= 400) statusErrors += count;
}
const requests = result.requests.total;
console.log(
  `BENCH_RESULT ${JSON.stringify({
    requests,
    rps: requests / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    socketErrors: result.errors + result.timeouts,
    statusErrors,
    redirects: result.statusCodeStats?.['302']?.count ?? 0,
    generated: spec.mode === 'random' || spec.mode === 'sequential' ? seq || result.totalRequests : result.totalRequests,
  })}`,
);
