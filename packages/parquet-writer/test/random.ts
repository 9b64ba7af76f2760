/**
 * Kept apart from agreement.ts so that the format and Snappy tests, which need only this, do not load the three
 * readers (DuckDB, the arrow-rs WebAssembly module, hyparquet) that agreement.ts imports.
 */

/** A seeded generator of numbers in [0, 1) (mulberry32): the same tables on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
