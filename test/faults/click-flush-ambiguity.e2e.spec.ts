import { type Server, type Socket, connect, createServer } from 'node:net';
import { type TestApp, startTestApp } from '../support/app.js';
import { ADMIN_DATABASE_URL, TEST_API_KEY, type TestDatabase, createTestDatabase, freePort, waitFor, withDatabase } from '../support/services.js';

/**
 * The click buffer when a flush meets trouble on its way to Postgres:
 *
 * 1. Postgres goes away at the worst moment: after it committed a flush and before the service
 *    heard so (the connection dies with the answer in flight: a crash, a failover, a network
 *    cut). The service cannot know whether the UPDATE landed. The issue asks that clicks be
 *    neither lost nor counted twice, so the retry must not add the batch again.
 * 2. A flush is slow to reach Postgres (a busy server, a slow network): while it is on its way,
 *    the click total the API reports (Postgres + clicks not yet written) must not drop the batch.
 *
 * A relay in front of Postgres passes everything through, except that, once armed, it either
 * lets the next click flush (the UPDATE ... click_count statement) reach Postgres and then drops
 * its answer and cuts that connection, or holds that statement back for a while.
 */
class FlushTamperingRelay {
  private server?: Server;
  private armed?: 'drop-answer' | { holdMs: number };
  /** Set once an armed flush was tampered with (answer dropped, or statement held back). */
  tripped = false;

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<FlushTamperingRelay> {
    const relay = new FlushTamperingRelay(await freePort(), target);
    relay.server = createServer((client) => relay.relay(client));
    await new Promise<void>((resolve) => relay.server!.listen(relay.port, '127.0.0.1', resolve));
    return relay;
  }

  arm(mode: 'drop-answer' | { holdMs: number }): void {
    this.tripped = false;
    this.armed = mode;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    let dropAnswer = false;
    const sockets = [client, upstream];
    for (const s of sockets) s.on('error', () => sockets.forEach((x) => x.destroy()));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // Client bytes go through a queue, so that bytes after a held statement stay behind it.
    let queue = Promise.resolve();
    client.on('data', (data) => {
      const mode = this.armed && data.includes('click_count = l.click_count') ? this.armed : undefined;
      if (mode) this.armed = undefined;
      queue = queue.then(async () => {
        if (mode === 'drop-answer') dropAnswer = true;
        else if (mode) {
          this.tripped = true;
          await new Promise((resolve) => setTimeout(resolve, mode.holdMs));
        }
        upstream.write(data);
      });
    });
    upstream.on('data', (data) => {
      if (!dropAnswer) {
        client.write(data);
        return;
      }
      // Postgres has answered, so the statement ran and committed; the service never hears it.
      setTimeout(() => {
        this.tripped = true;
        sockets.forEach((s) => s.destroy());
      }, 100);
    });
  }
}

describe('a click flush whose answer is lost (Postgres went away after committing it)', () => {
  let db: TestDatabase;
  let relay: FlushTamperingRelay;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    const pgUrl = new URL(ADMIN_DATABASE_URL);
    relay = await FlushTamperingRelay.start({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    const viaRelay = new URL(withDatabase(ADMIN_DATABASE_URL, db.name));
    viaRelay.port = String(relay.port);
    t = await startTestApp({ DATABASE_URL: viaRelay.toString(), CLICK_FLUSH_INTERVAL_MS: '100', RATE_LIMIT_ENABLED: 'false' });
  });

  afterAll(async () => {
    await t?.close();
    await relay?.close();
    await db?.drop();
  });

  it('counts each click once: the retried flush does not add the committed batch again', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/links',
      headers: { 'x-api-key': TEST_API_KEY },
      payload: { url: 'https://once.example/', alias: 'once' },
    });
    expect(created.statusCode).toBe(201);

    relay.arm('drop-answer');
    const CLICKS = 5;
    for (let i = 0; i < CLICKS; i++) expect((await t.app.inject('/once')).statusCode).toBe(302);
    await waitFor(() => relay.tripped, 5000, 'the flush to be cut off after its commit');

    // Wait until this process has nothing pending (the API's total = Postgres + pending).
    const inPostgres = async () => Number((await db.query<{ n: string }>(`SELECT click_count AS n FROM links WHERE code = 'once'`))[0].n);
    await waitFor(
      async () => {
        const stats = await t.app.inject({ url: '/api/links/once/stats', headers: { 'x-api-key': TEST_API_KEY } });
        return stats.statusCode === 200 && stats.json().clicks === (await inPostgres());
      },
      10_000,
      'the click buffer to drain',
    );
    expect(await inPostgres()).toBe(CLICKS);
  });

  it('reports every click while a flush is on its way to Postgres (the batch is neither lost nor doubled)', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/links',
      headers: { 'x-api-key': TEST_API_KEY },
      payload: { url: 'https://steady.example/', alias: 'steady' },
    });
    expect(created.statusCode).toBe(201);
    const stats = async () =>
      (await t.app.inject({ url: '/api/links/steady/stats', headers: { 'x-api-key': TEST_API_KEY } })).json().clicks as number;

    relay.arm({ holdMs: 1500 });
    const CLICKS = 3;
    for (let i = 0; i < CLICKS; i++) expect((await t.app.inject('/steady')).statusCode).toBe(302);
    await waitFor(() => relay.tripped, 5000, 'the flush to be held back');
    // The batch has left the buffer but has not reached Postgres.
    expect(await stats()).toBe(CLICKS);
    await waitFor(async () => Number((await db.query<{ n: string }>(`SELECT click_count AS n FROM links WHERE code = 'steady'`))[0].n) === CLICKS, 5000, 'the held flush to land');
    expect(await stats()).toBe(CLICKS);
  });
});
