import { LocalCache } from './local-cache.js';

describe('LocalCache', () => {
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('returns what was set until its TTL passes, then undefined', () => {
    const cache = new LocalCache<string>(10, undefined, clock);
    cache.set('k', 'v', 1000);
    expect(cache.get('k')).toBe('v');
    now += 999;
    expect(cache.get('k')).toBe('v');
    now += 1;
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('treats null as a value (a cached "absent"), and undefined as a miss', () => {
    const cache = new LocalCache<string | null>(10, undefined, clock);
    expect(cache.get('missing')).toBeUndefined();
    cache.set('absent', null, 1000);
    expect(cache.get('absent')).toBeNull();
  });

  it('never holds more than maxEntries, dropping the oldest entry not read since it was stored', () => {
    const cache = new LocalCache<number>(3, undefined, clock);
    cache.set('a', 1, 60_000);
    cache.set('b', 2, 60_000);
    cache.set('c', 3, 60_000);
    expect(cache.get('a')).toBe(1); // a is in use: it gets a second chance
    cache.set('d', 4, 60_000); // full: d is turned away the first time it is offered...
    expect(cache.get('d')).toBeUndefined();
    expect(cache.size).toBe(3);
    cache.set('d', 4, 60_000); // ...and let in the second time
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined(); // the oldest unread entry went
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);

    // Everything read: the scan spares each once (moving it to the back), then evicts the
    // oldest, c (a moved behind d when it was spared).
    cache.set('e', 5, 60_000);
    cache.set('e', 5, 60_000);
    expect(cache.size).toBe(3);
    expect(cache.get('c')).toBeUndefined();
    expect([cache.get('a'), cache.get('d'), cache.get('e')]).toEqual([1, 4, 5]);
  });

  it('evicts an expired entry before a live one', () => {
    const cache = new LocalCache<number>(2, undefined, clock);
    cache.set('short', 1, 10);
    cache.set('long', 2, 60_000);
    cache.get('short');
    now += 20;
    cache.set('new', 3, 60_000);
    cache.set('new', 3, 60_000);
    expect(cache.get('long')).toBe(2);
    expect(cache.get('new')).toBe(3);
  });

  it('replaces a value and its TTL on set, and forgets on delete and clear', () => {
    const cache = new LocalCache<string>(10, undefined, clock);
    cache.set('k', 'old', 10);
    cache.set('k', 'new', 1000);
    now += 500;
    expect(cache.get('k')).toBe('new');
    expect(cache.delete('k')).toBe(true);
    expect(cache.get('k')).toBeUndefined();
    cache.set('x', 'y', 1000);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('stores nothing when disabled (maxEntries 0) or given no lifetime', () => {
    const off = new LocalCache<string>(0, undefined, clock);
    off.set('k', 'v', 1000);
    expect(off.get('k')).toBeUndefined();
    expect(off.enabled).toBe(false);

    const on = new LocalCache<string>(10, undefined, clock);
    on.set('k', 'v', 0);
    expect(on.get('k')).toBeUndefined();
  });

  it('stays bounded under a long stream of distinct keys, and lets in only keys that come back', () => {
    const cache = new LocalCache<number>(100, undefined, clock);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`k${i}`, i, 60_000);
      if (i % 3 === 0) cache.get(`k${i - 50}`);
    }
    expect(cache.size).toBe(100);
    // Full, a key offered once is not let in (no churn for one-off keys)...
    expect(cache.get('k9999')).toBeUndefined();
    expect(cache.get('k99')).toBe(99);
    // ...a key offered again soon is.
    cache.set('k9999', 9999, 60_000);
    expect(cache.get('k9999')).toBe(9999);
    expect(cache.size).toBe(100);
  });

  it('admits everything while there is room', () => {
    const cache = new LocalCache<number>(1000, undefined, clock);
    for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i, 60_000);
    expect(cache.size).toBe(1000);
    expect(cache.get('k0')).toBe(0);
    expect(cache.get('k999')).toBe(999);
  });

  it('asks once for a refresh when an entry is read in the last fifth of its life', () => {
    const due: string[] = [];
    const cache = new LocalCache<string>(10, (key) => due.push(key), clock);
    cache.set('k', 'v', 1000);
    now += 799;
    expect(cache.get('k')).toBe('v');
    expect(due).toEqual([]);
    now += 1;
    expect(cache.get('k')).toBe('v');
    expect(cache.get('k')).toBe('v');
    expect(due).toEqual(['k']);
    // Refreshed (set again): a new life, a new request when it ends.
    cache.set('k', 'v2', 1000);
    now += 900;
    expect(cache.get('k')).toBe('v2');
    expect(due).toEqual(['k', 'k']);
  });
});
