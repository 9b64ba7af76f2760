/**
 * The country and provider last found for an address, by its bytes: a client's lines are spread over minutes among
 * other clients' lines (the `week` bench log repeats the line before's address on 0.8 % of its lines, and one of the
 * last few thousand addresses on about 60 %), and each answer otherwise walks the country database's search tree and
 * the provider table again (≈ 5 % of the command's CPU on `week`).
 *
 * Why typed arrays and not a Map of addresses or of address objects: a Map looks up by a text, which costs as much to
 * hash as both lookups (docs/BENCHMARKS.md, fourth round), and a table of objects keeps each line's address object
 * alive until its slot is taken again, long enough for the young generation's collections to move it to the old one:
 * a table of 4,096 address objects raised `week`'s CPU by 15 % and its peak memory by 20 MiB (eighth round). Here an
 * address is one or four 32-bit words in an Int32Array, and an answer is a pointer to a text the lookups keep anyway
 * (country names and provider names are each one object for the whole run).
 *
 * Direct-mapped: the slot is chosen by the address's words, mixed, and holds the last address that chose it; a hit
 * compares the words. Same answers as the lookups for any address: only which call finds them changes. The table holds
 * addresses in this process's memory only, as the line being processed does; nothing of it is written anywhere.
 */

import { bigEndianWord } from "../anonymize/ip.ts";

const SLOT_BITS = 12;
/** Addresses remembered at most (4,096: the `week` log's 48,000 clients find their last answer on ≈ 60 % of lines). */
export const GEO_MEMO_SLOTS = 1 << SLOT_BITS;
/** Int32 words per slot: the family (0 empty, 4 or 16 bytes), then the address as four words (IPv4 uses one). */
const WORDS = 5;

export class GeoMemo {
  /** A memo that finds nothing and remembers nothing (its table has no slot to hold an address). */
  static disabled(): GeoMemo {
    return new GeoMemo(false);
  }

  private readonly keys: Int32Array;
  private readonly countries: (string | null)[];
  private readonly providers: (string | null)[];
  /** What the last {@link has} looked for: its slot and words, for {@link country}, {@link provider}, {@link remember}. */
  private slot = 0;
  private family = 0;
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private w3 = 0;

  constructor(enabled = true) {
    const slots = enabled ? GEO_MEMO_SLOTS : 0;
    this.keys = new Int32Array(slots * WORDS);
    this.countries = new Array<string | null>(slots).fill(null);
    this.providers = new Array<string | null>(slots).fill(null);
  }

  /** Whether the table holds answers for this address (4 or 16 bytes); either way, {@link remember} stores them. */
  has(bytes: Uint8Array): boolean {
    const family = bytes.length;
    if (this.keys.length === 0 || (family !== 4 && family !== 16)) {
      // A disabled memo (no slots), or not an address of either family: neither found nor remembered.
      this.family = 0;
      return false;
    }
    const w0 = bigEndianWord(bytes, 0);
    let w1 = 0;
    let w2 = 0;
    let w3 = 0;
    if (family === 16) {
      w1 = bigEndianWord(bytes, 4);
      w2 = bigEndianWord(bytes, 8);
      w3 = bigEndianWord(bytes, 12);
    }
    let h = Math.imul(w0 ^ family, 0x9e3779b1);
    h = Math.imul(h ^ w1, 0x85ebca6b);
    h = Math.imul(h ^ w2, 0xc2b2ae35);
    h = Math.imul(h ^ w3, 0x27d4eb2f);
    h ^= h >>> 15;
    const slot = Math.imul(h, 0x2c1b3c6d) >>> (32 - SLOT_BITS);
    this.slot = slot;
    this.family = family;
    this.w0 = w0;
    this.w1 = w1;
    this.w2 = w2;
    this.w3 = w3;
    const keys = this.keys;
    const at = slot * WORDS;
    return (
      keys[at] === family &&
      keys[at + 1] === w0 &&
      keys[at + 2] === w1 &&
      keys[at + 3] === w2 &&
      keys[at + 4] === w3
    );
  }

  /** The country remembered for the address of the last {@link has} that answered true. */
  get country(): string | null {
    return this.countries[this.slot] ?? null;
  }

  /** The provider remembered for the address of the last {@link has} that answered true. */
  get provider(): string | null {
    return this.providers[this.slot] ?? null;
  }

  /** Remembers the answers for the address of the last {@link has}, in place of what its slot held. */
  remember(country: string | null, provider: string | null): void {
    if (this.family === 0) return;
    const slot = this.slot;
    const keys = this.keys;
    const at = slot * WORDS;
    keys[at] = this.family;
    keys[at + 1] = this.w0;
    keys[at + 2] = this.w1;
    keys[at + 3] = this.w2;
    keys[at + 4] = this.w3;
    this.countries[slot] = country;
    this.providers[slot] = provider;
  }
}
