// Scenario (f), the pool claim, outside the app: the same request, GET /<code> answered with
// a 302 after `SELECT url FROM links WHERE code = $1`, served either from a warm pg.Pool
// (MODE=pool: POOL_SIZE connections opened before listening, as linkpool does) or by opening a
// new connection per request (MODE=connect: connect, query, end).
// Environment: PORT, DATABASE_URL, MODE, POOL_SIZE.
import http from 'node:http';
import pg from 'pg';

const mode = process.env.MODE;
const size = Number(process.env.POOL_SIZE ?? 10);
const connectionString = process.env.DATABASE_URL;
const sql = 'SELECT url FROM links WHERE code = $1';

let query;
if (mode === 'pool') {
  const pool = new pg.Pool({ connectionString, max: size, min: size, idleTimeoutMillis: 0, application_name: 'linkpool-bench-pool' });
  // Warm it: hold `size` clients at once so the pool must open them all.
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  for (const client of clients) client.release();
  query = (code) => pool.query(sql, [code]);
} else if (mode === 'connect') {
  query = async (code) => {
    const client = new pg.Client({ connectionString, application_name: 'linkpool-bench-connect' });
    await client.connect();
    try {
      return await client.query(sql, [code]);
    } finally {
      await client.end();
    }
  };
} else {
  throw new Error(`MODE must be pool or connect, not ${mode}`);
}

const server = http.createServer((req, res) => {
  query(req.url.slice(1)).then(
    ({ rows }) => {
      if (rows.length === 0) res.writeHead(404);
      else res.writeHead(302, { location: rows[0].url, 'cache-control': 'private, max-age=0' });
      res.end();
    },
    () => {
      res.writeHead(503);
      res.end();
    },
  );
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
