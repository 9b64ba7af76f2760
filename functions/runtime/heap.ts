import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

/**
 * How far V8 lets the old generation grow past what the last full collection kept before it starts the next one,
 * in percent (V8's `--heap-growing-percent`). Left to itself V8 picks the factor, up to 4× for a thread that
 * allocates fast and collects quickly — which an ingest thread is: keeping ≈ 35 MB live, it let its heap reach
 * 75–110 MB before a full collection, and the array buffers that only those collections free (column batches,
 * read chunks, encoded bytes) waited with it. That garbage was most of the gap between the command's peak memory
 * and what it holds. 50 %: measured on 1 M and 4 M lines, peak RSS 70–90 MiB lower with CPU within the noise
 * (with the column batches reused, which allocate less); 25 % took 10–20 MiB more off and cost ≈ 1 s of CPU per
 * 1 M lines (docs/BENCHMARKS.md, fifth round).
 */
export const INGEST_HEAP_GROWING_PERCENT = 50;

/**
 * The most new space (V8's young generation: two semi-spaces) the ingest command's main thread grows to: 16 MiB.
 * Left to itself V8 doubles a thread's semi-spaces whenever much of them survives a scavenge — which an ingest
 * thread's rows and caches do — up to 16 MiB each, 32 MiB of new space kept until the process ends. Held at 16 MiB:
 * 12–24 MiB less peak RSS, CPU within the noise (its scavenges ≈ 1.7× as many); held at 8 MiB it was ≈ 20–25 MiB
 * less but ≈ 0.4 s more CPU per 1 M lines in scavenges (docs/BENCHMARKS.md, sixth round).
 */
export const INGEST_NEW_SPACE_BYTES = 16 * 1024 * 1024;

/**
 * A worker's semi-spaces from its start, in MiB: the most its young generation limit allows (12 MiB, a third of it
 * each semi-space: apps/ingest/shard-pool.ts), so that holding the main thread's (below) never holds a worker's
 * smaller than it was.
 */
const WORKER_SEMI_SPACE_MB = 4;

/** How often the main thread's new space is looked at (a few microseconds each, on its own event loop). */
const HOLD_CHECK_MS = 25;

let holding = false;

/**
 * Sets the heap growing factor and bounds the young generation for the whole process. V8's flags are per process,
 * so every thread, workers started later included; V8 reads the growing factor each time a full collection sets
 * the next limit and the semi-space growth factor each time it would grow a new space, so setting them after
 * start-up takes effect, and `--min-semi-space-size` when it sets up a heap: the workers started later.
 *
 * The new space is held by `--semi-space-growth-factor=1` once this thread's has reached
 * {@link INGEST_NEW_SPACE_BYTES}, looked at every {@link HOLD_CHECK_MS} ms: V8 raises that flag back to 2 whenever
 * it sets up a new thread's heap (Heap::ConfigureHeap), so set once it would hold only until the first worker
 * started; looked at again, it is set again within a few milliseconds, long before the main thread could double
 * its new space once more. For the ingest command, whose threads allocate steadily for as long as the input lasts;
 * not for the Lambda functions, whose memory the stack sizes and whose CPU per line is the figure to keep.
 */
export function limitHeapGrowth(percent: number = INGEST_HEAP_GROWING_PERCENT): void {
  if (!(Number.isInteger(percent) && percent > 0)) throw new RangeError("percent must be a positive integer");
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  setFlagsFromString(`--min-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  if (holding) return;
  holding = true;
  const hold = (): void => {
    const young = getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
    if (young !== undefined && young.space_size >= INGEST_NEW_SPACE_BYTES) {
      setFlagsFromString("--semi-space-growth-factor=1");
    }
  };
  hold();
  // Unreferenced: it never keeps the process alive.
  setInterval(hold, HOLD_CHECK_MS).unref();
}
