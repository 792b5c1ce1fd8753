import type { AppConfig } from '@linkpool/config';
import { ClickBuffer } from './click-buffer.service.js';
import type { ClicksRepository } from './clicks.repository.js';

/** Unit tests: the repository is a fake that records what would be written. */
describe('ClickBuffer', () => {
  let writes: Array<Record<string, number>>;
  let failNext: number;
  /** When set, the next write commits but its answer is lost (the connection drops after COMMIT). */
  let loseNextAnswer: boolean;
  let buffer: ClickBuffer;

  beforeEach(() => {
    writes = [];
    failNext = 0;
    loseNextAnswer = false;
    // Like Postgres with the click_flushes table: a batch id is applied at most once.
    const applied = new Set<string>();
    const repository = {
      add: async (batchId: string, ids: string[], counts: number[]) => {
        if (failNext > 0) {
          failNext--;
          throw new Error('Connection terminated');
        }
        if (!applied.has(batchId)) {
          applied.add(batchId);
          writes.push(Object.fromEntries(ids.map((id, i) => [id, counts[i]])));
        }
        if (loseNextAnswer) {
          loseNextAnswer = false;
          throw new Error('Connection terminated unexpectedly');
        }
      },
      forgetBatches: async () => undefined,
    } as unknown as ClicksRepository;
    buffer = new ClickBuffer(repository, { clicks: { flushIntervalMs: 1000 } } as AppConfig);
  });

  it('writes all counted clicks in one batch per flush', async () => {
    for (let i = 0; i < 5; i++) buffer.record('1');
    buffer.record('2');
    expect(buffer.pendingFor('1')).toBe(5);
    await buffer.flush();
    expect(writes).toEqual([{ 1: 5, 2: 1 }]);
    expect(buffer.pendingTotal).toBe(0);
  });

  it('does not write when nothing was clicked', async () => {
    await buffer.flush();
    expect(writes).toEqual([]);
  });

  it('keeps the counts of a failed flush and writes them later, with the clicks that arrived meanwhile', async () => {
    buffer.record('1');
    failNext = 1;
    await expect(buffer.flush()).rejects.toThrow('Connection terminated');
    buffer.record('1');
    expect(buffer.pendingFor('1')).toBe(2);
    await buffer.flush();
    expect(writes).toEqual([{ 1: 1 }, { 1: 1 }]);
    expect(buffer.pendingTotal).toBe(0);
  });

  it('does not count a batch twice when its write committed but the answer was lost', async () => {
    buffer.record('1');
    buffer.record('1');
    loseNextAnswer = true;
    await expect(buffer.flush()).rejects.toThrow('Connection terminated unexpectedly');
    buffer.record('1');
    await buffer.flush();
    expect(writes).toEqual([{ 1: 2 }, { 1: 1 }]);
    expect(buffer.pendingTotal).toBe(0);
  });

  it('lets a reader see each click exactly once while a flush is in flight', async () => {
    buffer.record('9');
    const flushing = buffer.flush();
    // During the flush the batch is neither pending nor (yet) written: a stable read waits for it.
    const seen = await buffer.withStableCounts(async () => (writes[0]?.['9'] ?? 0) + buffer.pendingFor('9'));
    await flushing;
    expect(seen).toBe(1);
  });

  it('shares one write between concurrent flushes', async () => {
    buffer.record('7');
    await Promise.all([buffer.flush(), buffer.flush(), buffer.flush()]);
    expect(writes).toEqual([{ 7: 1 }]);
  });

  it('retries the final flush at shutdown', async () => {
    buffer.record('3');
    failNext = 2;
    await buffer.onApplicationShutdown();
    expect(writes).toEqual([{ 3: 1 }]);
  });
});
