import { setFlagsFromString } from "node:v8";

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
 * Sets the heap growing factor for the whole process: V8's flags are per process, so every thread, workers
 * started later included; V8 reads this one each time a full collection sets the next limit, so setting it after
 * start-up takes effect. For the ingest command, whose threads allocate steadily for as long as the input lasts;
 * not for the Lambda functions, whose memory the stack sizes and whose CPU per line is the figure to keep.
 */
export function limitHeapGrowth(percent: number = INGEST_HEAP_GROWING_PERCENT): void {
  if (!(Number.isInteger(percent) && percent > 0)) throw new RangeError("percent must be a positive integer");
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
