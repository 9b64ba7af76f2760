/**
 * One string object for text that repeats from line to line (user agents, referrers, targets): {@link SameText.of}
 * returns the object it handed out before for the same text, found without hashing the fresh string.
 *
 * Why: every Map lookup of a freshly sliced string hashes all its characters (V8 caches a string's hash on the
 * string object, and a fresh slice has none yet) and, on a hit, compares it character by character with the stored
 * key. A log line's user agent went through four of them (the enricher's cache, the security zone's dictionary of
 * agents, the visitor id memo...), its target and referrer through one each. The object handed out here has its hash
 * computed once, by the first Map that sees it, and every later lookup and `===` with it compares pointers
 * (docs/BENCHMARKS.md, issue 20, fifth round).
 *
 * How: a set-associative table. The bucket is chosen by the length, the last forty characters (where user
 * agents keep their versions and targets their ids) and three before them — at most 43 `charCodeAt`, against the
 * hundred-odd characters V8's hash of a user agent reads — and each of its {@link WAYS} entries is compared
 * with `===`, which stops at the first differing character. A miss puts a copy of the text first in its bucket and
 * drops the bucket's oldest entry: the table never grows, and a copy (not the slice itself) keeps no log line alive.
 *
 * The answer is always text equal to the input: only which object carries it changes, so nothing written differs.
 */

/** Entries per bucket: several agents of one length that differ only in a version share a bucket. */
const WAYS = 4;
/** Longer text (attack payloads, one-offs) is handed back as it is, neither compared nor copied. */
export const MAX_SAME_TEXT_LENGTH = 512;

/** Distances from the end of a text whose characters choose its bucket: user agents keep their versions there. */
const FROM_END = [1, 2, 3, 4, 6, 9, 13, 18, 21, 22, 28, 29, 35] as const;

/** The bucket of `text`: its length mixed with characters at fixed distances from its end and two from its start. */
function bucketOf(text: string, mask: number): number {
  const n = text.length;
  let h = Math.imul(n ^ 0x811c9dc5, 0x01000193);
  if (n > 0) {
    h = Math.imul(h ^ text.charCodeAt(n >> 1), 0x01000193);
    h = Math.imul(h ^ text.charCodeAt(n >> 2), 0x01000193);
    for (const back of FROM_END) {
      if (back > n) break;
      h = Math.imul(h ^ text.charCodeAt(n - back), 0x01000193);
    }
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & mask;
}

/** Lookups per trial: a table that missed on more than half of them passes text through for {@link REST} lookups. */
const TRIAL = 4096;
const FIRST_TRIAL = 64;
const REST = 65_536;

export class SameText {
  private readonly entries: (string | undefined)[];
  private readonly mask: number;
  /**
   * Lookups left in the current trial, and its misses so far. The first trial is short and never rests the table
   * (a table starts empty: its first lookups miss anyway): its end runs the trial's bookkeeping within the first
   * hundred lines, before V8 optimizes this method. With 4,096 lookups the first end came after, with no type
   * feedback for it, and threw the optimized code away in each thread (docs/BENCHMARKS.md, seventh round).
   */
  private left = FIRST_TRIAL;
  private misses = 0;
  /** Lookups left to pass through after a trial that missed more than it found. */
  private resting = 0;
  /**
   * The object handed out last. Lines come in runs that share their agent and referrer (a page and its assets), and
   * this object is still in the processor's cache, while the bucket's entries usually are not: on the elastic log
   * comparing with it first answers 58 % of agents and 61 % of referrers without choosing a bucket.
   */
  private last: string | undefined = undefined;

  /** `buckets`: a power of two; the table holds at most `buckets × WAYS` texts. */
  constructor(readonly buckets: number) {
    if (!Number.isInteger(Math.log2(buckets)) || buckets < 1) {
      throw new RangeError(`the buckets of a SameText table are a power of two, not ${buckets}`);
    }
    this.mask = buckets - 1;
    this.entries = new Array<string | undefined>(buckets * WAYS).fill(undefined);
  }

  /** Text equal to `text`: the object handed out last time for it when the table still holds it. */
  of(text: string): string {
    if (text.length > MAX_SAME_TEXT_LENGTH) return text;
    const last = this.last;
    if (text === last) return last;
    // A log whose texts rarely repeat (a hundred thousand agents) would pay for lookups that miss, for the copies
    // and for comparisons with entries of the same length, and gain nothing downstream: the table then rests.
    if (this.resting > 0) {
      this.resting--;
      return text;
    }
    if (--this.left === 0) {
      const thrashing = this.misses * 2 > TRIAL;
      this.left = TRIAL;
      this.misses = 0;
      if (thrashing) {
        this.resting = REST;
        return text;
      }
    }
    const entries = this.entries;
    const first = bucketOf(text, this.mask) * WAYS;
    for (let i = first; i < first + WAYS; i++) {
      const known = entries[i];
      if (known === undefined) break;
      if (known === text) {
        this.last = known;
        return known;
      }
    }
    this.misses++;
    // A copy: the text is usually a slice of its log line, which the table would otherwise keep alive.
    const copy = ` ${text}`.slice(1);
    for (let i = first + WAYS - 1; i > first; i--) entries[i] = entries[i - 1];
    entries[first] = copy;
    this.last = copy;
    return copy;
  }
}
