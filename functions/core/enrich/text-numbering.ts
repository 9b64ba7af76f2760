/**
 * Numbers for texts (user agents, sites), so that in-memory memos key their entries by an integer instead of by the
 * text: one Map lookup of the text gives the number, and every memo after it compares integers.
 *
 * The user agents of a thread have one numbering, {@link AGENT_NUMBERS}, shared by the enricher (its answer per agent,
 * enrich.ts) and the visitor id's memo (identify/visitor-id.ts). A line's agent is looked up once, by the enricher;
 * the visitor id asks for the same string object next and gets the last answer by a pointer comparison. With a
 * numbering each, as before, every line's agent was hashed and compared by two Maps, ≈ 3 µs a line on the `agents`
 * bench log, whose 130,000 distinct agents miss any small cache (docs/BENCHMARKS.md, issue 20, ninth round).
 *
 * The Map's keys are copies (an agent is usually a slice of its log line, which they would keep alive). When the Map
 * is full it is emptied and numbering goes on from the next number: a number is never given to two texts while
 * anyone may hold it. Once the numbers run out (after millions of distinct texts), numbering starts afresh from 1 and
 * {@link TextNumbering.restarts} counts it: a holder of numbers drops them when that count changes.
 */
const RECENT_SLOTS = 1024;
/** Slots of a numbering's copies at first (see TextNumbering.growCopies). */
const FIRST_COPY_SLOTS = 1024;

export class TextNumbering {
  private readonly numbers = new Map<string, number>();
  private next = 1;
  private last: string | undefined = undefined;
  private lastNumber = 0;
  /**
   * The texts asked for recently and their numbers, one per slot chosen by the text's length and a few of its last
   * characters: the parser hands out one object per agent text (core/parse/same-text.ts), so a slot holding the very
   * object answers with a pointer comparison, where the Map compares the text with its own copy, character by
   * character, wherever that copy sits in the heap (`of`'s Map lookup was ≈ 1.5 % of `elastic`'s CPU in the command,
   * docs/BENCHMARKS.md, seventh round). Emptied with the Map, so a slot never gives a number of an earlier numbering.
   * Holds at most {@link RECENT_SLOTS} texts (an agent given as a slice of its line keeps that line alive meanwhile).
   */
  private readonly recentTexts = new Array<string | undefined>(RECENT_SLOTS).fill(undefined);
  private readonly recentNumbers = new Int32Array(RECENT_SLOTS);
  /**
   * The Map's keys by number (slot `number & copiesMask`: the numbers held are at most `max` consecutive ones), so
   * {@link copyOf} can hand out the numbering's own copy of a text; and that copy for the text asked for last.
   */
  private copies: (string | undefined)[];
  private copiesMask: number;
  /** The most slots `copies` grows to: `max` rounded up to a power of two. */
  private readonly maxCopies: number;
  private lastCopy: string | undefined = undefined;
  /** How many times numbering started afresh from 1: numbers given before a restart may be given again after it. */
  restarts = 0;

  /** `max`: distinct texts held before the Map is emptied. `lastNumberGiven`: the last number before a restart (tests). */
  constructor(
    readonly max: number,
    private readonly lastNumberGiven = LAST_NUMBER,
  ) {
    this.maxCopies = 2 ** Math.ceil(Math.log2(Math.max(1, max)));
    // Small at first, doubled as texts come (see growCopies): a log of a few hundred agents keeps 8 KB, not 512.
    const slots = Math.min(FIRST_COPY_SLOTS, this.maxCopies);
    this.copies = new Array<string | undefined>(slots).fill(undefined);
    this.copiesMask = slots - 1;
  }

  /** The text's number: the same as last time while the text is held, a number never given before otherwise. */
  of(text: string): number {
    if (text === this.last) return this.lastNumber;
    const slot = recentSlotOf(text);
    let number: number;
    if (this.recentTexts[slot] === text) number = this.recentNumbers[slot] as number;
    else {
      let known = this.numbers.get(text);
      if (known === undefined) {
        if (this.next > this.lastNumberGiven) this.restart();
        // Full: emptied; texts held before get new numbers (their old ones are never given again before a restart).
        else if (this.numbers.size >= this.max) this.forgetTexts();
        if (this.numbers.size >= this.copies.length && this.copies.length < this.maxCopies) this.growCopies();
        known = this.next++;
        const copy = ` ${text}`.slice(1);
        this.numbers.set(copy, known);
        this.copies[known & this.copiesMask] = copy;
      }
      number = known;
      this.recentTexts[slot] = text;
      this.recentNumbers[slot] = number;
    }
    this.last = text;
    this.lastNumber = number;
    this.lastCopy = this.copies[number & this.copiesMask];
    return number;
  }

  /**
   * The numbering's own copy of `text` when `text` is what {@link of} was asked for last, else `text` itself: equal
   * text either way. The security row writes a line's agent through it: its column's dictionary then holds the
   * strings the numbering holds already, where the agent itself is a slice of its line, and kept every line whose
   * agent was new to the dictionary alive (≈ 19 MiB of `agents`' peak, docs/BENCHMARKS.md, issue 20, ninth round).
   */
  copyOf(text: string): string {
    return text === this.last && this.lastCopy !== undefined ? this.lastCopy : text;
  }

  /** Twice the slots of `copies`: the texts held are those numbered `next - numbers.size` to `next - 1`. */
  private growCopies(): void {
    const size = this.copies.length * 2;
    const grown = new Array<string | undefined>(size).fill(undefined);
    for (let n = this.next - this.numbers.size; n < this.next; n++) {
      grown[n & (size - 1)] = this.copies[n & this.copiesMask];
    }
    this.copies = grown;
    this.copiesMask = size - 1;
  }

  private forgetTexts(): void {
    this.numbers.clear();
    this.recentTexts.fill(undefined);
    this.copies.fill(undefined);
    this.last = undefined;
    this.lastCopy = undefined;
  }

  private restart(): void {
    this.forgetTexts();
    this.next = 1;
    this.restarts++;
  }
}

/**
 * The last number given before numbering starts afresh. The visitor id's memo packs a site's number with an address
 * length into one 32-bit word (number × 32 + length), so numbers stay below 2^22.
 */
const LAST_NUMBER = 0x3fffff;

/** Distinct user agents held by {@link AGENT_NUMBERS} (copies of ≈ 120 bytes: ≈ 10 MB at most). */
export const MAX_AGENTS = 65_536;

/** A slot of {@link TextNumbering}'s recent texts: the length and characters near the end, where agents differ. */
function recentSlotOf(text: string): number {
  const n = text.length;
  let h = n;
  if (n > 0) {
    h = Math.imul(h ^ text.charCodeAt(n - 1), 0x01000193);
    h = Math.imul(h ^ text.charCodeAt(n >> 1), 0x01000193);
    for (let back = 2; back <= 22 && back <= n; back += 4)
      h = Math.imul(h ^ text.charCodeAt(n - back), 0x01000193);
  }
  return (h ^ (h >>> 15)) & (RECENT_SLOTS - 1);
}

/** The numbering of user agents in this thread (one per module instance: a worker thread has its own). */
export const AGENT_NUMBERS = new TextNumbering(MAX_AGENTS);
