/** The part of its lifetime after which a read of an entry asks for it to be refreshed. */
export const REFRESH_AFTER = 0.8;

interface Entry<V> {
  value: V;
  /** Epoch ms after which the entry is not served. */
  expiresAt: number;
  /** Epoch ms after which a read asks for the entry to be refreshed (once). */
  refreshAt: number;
  /** Read since it was inserted or last spared from eviction ("second chance"). */
  used: boolean;
}

/**
 * A bounded map with a TTL per entry, in process memory: the first level in front of Redis.
 * Eviction is least-recently-used in the CLOCK ("second chance") form: a hit only sets a flag,
 * so a read is one hash lookup and allocates nothing; when the map is full, the oldest entry
 * goes unless it was read since it was inserted, in which case it moves to the back once.
 * `undefined` means "not here"; any other value (including `null`) is a hit.
 *
 * Admission when full: once the map holds `maxEntries`, a new key gets in only if it was
 * offered before, recently (a "doorkeeper": one 32-bit hash per slot of a table about as large
 * as the cache). A working set that fits is unaffected; a stream of keys that each come back
 * rarely (a million links read at random) no longer churns the map, allocating and evicting on
 * every request for hits it would almost never get.
 *
 * Refresh ahead: a read in the last {@link REFRESH_AFTER} part of an entry's life calls
 * `onRefreshDue(key)` (once per entry), so the owner can reload it in the background while
 * the entry is still served, and a key in steady use never makes a request wait for a reload.
 */
export class LocalCache<V> {
  // A Map iterates in insertion order: the first key is the least recently used one.
  private readonly entries = new Map<string, Entry<V>>();
  /** Hashes of keys turned away while the map was full (see admit); allocated when first full. */
  private doorkeeper?: Int32Array;

  /**
   * @param maxEntries beyond this, the least recently used entry is dropped (0 disables the cache)
   * @param onRefreshDue called (synchronously, from `get`) when a read finds its entry due for a refresh
   * @param now the clock (tests pass their own)
   */
  constructor(
    readonly maxEntries: number,
    private readonly onRefreshDue?: (key: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get enabled(): boolean {
    return this.maxEntries > 0;
  }

  /** The live value for `key`, or `undefined`. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    entry.used = true;
    if (entry.refreshAt <= now && this.onRefreshDue) {
      entry.refreshAt = Infinity;
      this.onRefreshDue(key);
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (this.maxEntries <= 0 || ttlMs <= 0) return;
    if (!this.entries.delete(key) && this.entries.size >= this.maxEntries) {
      if (!this.admit(key)) return;
      // Make room before inserting, so the newcomer is not the one a full pass ends on.
      this.evictOne();
    }
    const now = this.now();
    this.entries.set(key, { value, expiresAt: now + ttlMs, refreshAt: now + ttlMs * REFRESH_AFTER, used: false });
  }

  /** True when `key` was offered (and turned away) recently; otherwise remembers it and says no. */
  private admit(key: string): boolean {
    if (this.doorkeeper === undefined) {
      // A power of two at least as large as the cache, at most 4 Mi slots (16 MiB).
      const slots = 2 ** Math.min(22, Math.ceil(Math.log2(Math.max(1024, this.maxEntries))));
      this.doorkeeper = new Int32Array(slots);
    }
    const hash = fnv1a(key) | 1; // never 0, the empty slot
    const slot = hash & (this.doorkeeper.length - 1);
    if (this.doorkeeper[slot] === hash) {
      this.doorkeeper[slot] = 0;
      return true;
    }
    this.doorkeeper[slot] = hash;
    return false;
  }

  private evictOne(): void {
    // Terminates: every entry spared loses its flag, so the second pass evicts at the latest.
    const now = this.now();
    for (const [key, entry] of this.entries) {
      this.entries.delete(key);
      if (!entry.used || entry.expiresAt <= now) return;
      entry.used = false;
      this.entries.set(key, entry);
    }
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}
