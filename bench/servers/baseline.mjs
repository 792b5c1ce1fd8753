// The ceiling: a bare node:http server answering GET /<code> with the same 302 (Location and
// Cache-Control) as linkpool, from an in-memory Map holding the same codes the benchmark seeds.
// Environment: PORT, BENCH_LINKS (codes b0000000 .. b<LINKS-1>).
import http from 'node:http';

const links = Number(process.env.BENCH_LINKS ?? 10_000);
const targets = new Map();
for (let i = 0; i < links; i++) targets.set(`b${String(i).padStart(7, '0')}`, `https://bench.example/${i}`);

const server = http.createServer((req, res) => {
  const url = targets.get(req.url.slice(1));
  if (url === undefined) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(302, { location: url, 'cache-control': 'private, max-age=0' });
  res.end();
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
