/**
 * A bounded cache for pure lookups on the hot path (the same user agent repeats millions of times).
 *
 * Two generations: entries go into `young`; when it is full, `young` becomes `old` and the previous `old` is
 * dropped. A hit in `old` is promoted. Frequently used keys therefore survive, memory stays under
 * `2 × maxEntries`, and every operation is O(1) with no per-entry bookkeeping (an approximation of LRU).
 *
 * The last key asked for is checked first, by `===`: log lines come in runs that share their user agent or referrer
 * (a page and its assets), and comparing a fresh string with the last key costs a fraction of hashing it for a Map.
 *
 * With `restAbove`, the cache rests while it does not pay: a lookup hashes its key and a miss then also copies
 * and stores it, which costs more than the work it saves once too many lookups miss (the `agents` bench log's 225,000
 * distinct targets: the scrub memo missed 34–43 % of its lookups and cost 1.5 times scrubbing every target,
 * docs/BENCHMARKS.md, issue 20, ninth round). Lookups are counted in trials of {@link TRIAL}; after a trial whose
 * share of misses was above `restAbove`, the next {@link REST} lookups answer "not cached" (but for the last key) and
 * store nothing, then a new trial starts with the younger generation's entries (the older one goes when the rest
 * starts: {@link endTrial}). What a lookup answers is the cached value or nothing, so whether the cache rests changes
 * the work done, never a result.
 */
export class BoundedCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private lastKey: K | undefined = undefined;
  private lastValue: V | undefined = undefined;
  /** Lookups left in the current trial and its misses so far; lookups left to pass while resting. */
  private trialLeft = TRIAL;
  private trialMisses = 0;
  private resting = 0;
  private readonly maxTrialMisses: number;
  /**
   * Whether trials run: once a cache with `restAbove` was first full (until then its misses are its filling, not a
   * sign that it does not pay); never for one without.
   */
  private filled = false;
  private readonly storedKey: ((key: K) => K) | undefined;

  /**
   * `restAbove`: the share of a trial's lookups (0 to 1) above which its misses make the cache rest.
   * `storedKey`: what is stored for a key (a copy of a string that is a slice of a log line), made only when stored.
   */
  constructor(
    readonly maxEntries: number,
    options: { readonly restAbove?: number; readonly storedKey?: (key: K) => K } = {},
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`a cache holds at least one entry, not ${maxEntries}`);
    }
    // Without `restAbove`, more misses than a trial has lookups: never.
    this.maxTrialMisses = options.restAbove === undefined ? TRIAL : Math.floor(options.restAbove * TRIAL);
    this.storedKey = options.storedKey;
  }

  get(key: K): V | undefined {
    if (key === this.lastKey && this.lastValue !== undefined) return this.lastValue;
    if (this.resting > 0) {
      this.resting--;
      return undefined;
    }
    if (this.filled && --this.trialLeft === 0) this.endTrial();
    const young = this.young.get(key);
    if (young !== undefined) {
      this.lastKey = key;
      this.lastValue = young;
      return young;
    }
    const old = this.old.get(key);
    if (old !== undefined) this.set(key, old);
    else if (this.filled) this.trialMisses++;
    return old;
  }

  set(key: K, value: V): void {
    this.lastKey = key;
    this.lastValue = value;
    if (this.resting > 0) return;
    if (this.young.size >= this.maxEntries) {
      this.old = this.young;
      this.young = new Map();
      // Trials only for a cache that may rest: the others never count (nothing added to their lookups).
      if (!this.filled && this.maxTrialMisses < TRIAL) this.startTrials();
    }
    this.young.set(this.storedKey === undefined ? key : this.storedKey(key), value);
  }

  /** The first trial starts when the cache is first full: the misses that filled it are not counted. */
  private startTrials(): void {
    this.filled = true;
    this.trialLeft = TRIAL;
    this.trialMisses = 0;
  }

  /**
   * A trial whose misses were too many starts a rest, and lets the older generation go: a cache that does not pay
   * holds half the memory while it rests (the `agents` bench log's scrub memo: 2 × 16,384 targets of ≈ 100 bytes in
   * each thread), and the younger generation, its latest entries, is what the next trial is judged on. A cache that
   * pays never fails a trial, so it never loses entries this way.
   */
  private endTrial(): void {
    if (this.trialMisses > this.maxTrialMisses) {
      this.resting = REST;
      this.old = new Map();
    }
    this.trialLeft = TRIAL;
    this.trialMisses = 0;
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

/** Lookups per trial of a cache with `restAbove`. */
const TRIAL = 4096;
/** Lookups a resting cache lets pass before its next trial. */
const REST = 65_536;
