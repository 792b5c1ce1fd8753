import type { AppConfig } from '@linkpool/config';
import { ClickBuffer } from './click-buffer.service.js';
import type { ClicksRepository } from './clicks.repository.js';

/** Unit tests: the repository is a fake that records what would be written. */
describe('ClickBuffer', () => {
  let writes: Array<Record<string, number>>;
  let failNext: number;
  let buffer: ClickBuffer;

  beforeEach(() => {
    writes = [];
    failNext = 0;
    const repository = {
      add: async (ids: string[], counts: number[]) => {
        if (failNext > 0) {
          failNext--;
          throw new Error('Connection terminated');
        }
        writes.push(Object.fromEntries(ids.map((id, i) => [id, counts[i]])));
      },
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

  it('keeps the counts of a failed flush, adding clicks that arrived meanwhile', async () => {
    buffer.record('1');
    failNext = 1;
    await expect(buffer.flush()).rejects.toThrow('Connection terminated');
    buffer.record('1');
    expect(buffer.pendingFor('1')).toBe(2);
    await buffer.flush();
    expect(writes).toEqual([{ 1: 2 }]);
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
