import { once } from 'node:events';
import { type Socket, createServer, connect } from 'node:net';
import { TimeoutError, withTimeout } from './with-timeout.js';

/** Keeps the event loop busy, as a process under heavy load does. */
function blockFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describe('withTimeout', () => {
  it('settles as the promise does when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(42), 50)).resolves.toBe(42);
    await expect(withTimeout(Promise.reject(new Error('no')), 50)).rejects.toThrow('no');
  });

  it('rejects with a TimeoutError when the promise never settles', async () => {
    const error = await withTimeout(new Promise(() => undefined), 20).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('timed out after 20 ms');
  });

  it('keeps an answer that arrived in time but was not read yet because the event loop was busy', async () => {
    // A reply from a server (Redis, say) lands in the socket while the process is busy; the loop's
    // timers phase, where the overdue timeout fires, comes before the poll phase that reads it.
    const server = createServer();
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    const [peer] = await accepted;
    try {
      const reply = once(client, 'data').then(([chunk]) => String(chunk));
      const guarded = withTimeout(reply, 10);
      peer.write('+PONG\r\n');
      blockFor(100);
      await expect(guarded).resolves.toBe('+PONG\r\n');
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });

  it('ignores what the promise does after the timeout', async () => {
    let resolveLate!: (value: string) => void;
    const late = new Promise<string>((resolve) => (resolveLate = resolve));
    const guarded = withTimeout(late, 10);
    await expect(guarded).rejects.toBeInstanceOf(TimeoutError);
    resolveLate('too late');
    await expect(guarded).rejects.toBeInstanceOf(TimeoutError);
  });
});
