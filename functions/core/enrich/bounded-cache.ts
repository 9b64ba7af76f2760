/**
 * A bounded cache for pure lookups on the hot path (the same user agent repeats millions of times).
 *
 * Two generations: entries go into `young`; when it is full, `young` becomes `old` and the previous `old` is
 * dropped. A hit in `old` is promoted. Frequently used keys therefore survive, memory stays under
 * `2 × maxEntries`, and every operation is O(1) with no per-entry bookkeeping (an approximation of LRU).
 *
 * The last key asked for is checked first, by `===`: log lines come in runs that share their user agent or referrer
 * (a page and its assets), and comparing a fresh string with the last key costs a fraction of hashing it for a Map.
 */
export class BoundedCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private lastKey: K | undefined = undefined;
  private lastValue: V | undefined = undefined;

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`a cache holds at least one entry, not ${maxEntries}`);
    }
  }

  get(key: K): V | undefined {
    if (key === this.lastKey && this.lastValue !== undefined) return this.lastValue;
    const young = this.young.get(key);
    if (young !== undefined) {
      this.lastKey = key;
      this.lastValue = young;
      return young;
    }
    const old = this.old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: K, value: V): void {
    if (this.young.size >= this.maxEntries) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
    this.lastKey = key;
    this.lastValue = value;
  }

  /** Entries held right now (at most `2 × maxEntries`). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
    this.lastKey = undefined;
    this.lastValue = undefined;
  }
}
